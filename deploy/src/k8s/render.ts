// Renders a kustomize overlay with `kubectl kustomize` (kustomize built into kubectl) and parses it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './schema.js';

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

/** deploy/k8s/overlays: one folder per environment. */
export const OVERLAYS_DIR = fileURLToPath(new URL('../../k8s/overlays/', import.meta.url));

/**
 * The overlays of `dir` (default deploy/k8s/overlays): every sub-folder with a kustomization, sorted. A
 * new environment folder is picked up by the tests, the policy check and the release check without an edit.
 */
export function listOverlays(dir = OVERLAYS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter(
      (e) =>
        e.isDirectory() &&
        ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) =>
          existsSync(join(dir, e.name, f)),
        ),
    )
    .map((e) => e.name)
    .sort();
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new RenderError(doc.errors.map((e) => e.message).join('; '));
      return doc.toJS() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null);
}

export function renderOverlay(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new RenderError(`kubectl kustomize ${dir}: ${result.error.message}`);
  if (result.status !== 0) throw new RenderError(`kubectl kustomize ${dir} failed: ${result.stderr.trim()}`);
  return parseManifests(result.stdout);
}

/** An already rendered manifest (`kubectl kustomize ... > file`, or `-` for standard input). */
export function readManifest(file: string): K8sObject[] {
  return parseManifests(readFileSync(file === '-' ? 0 : file, 'utf8'));
}
