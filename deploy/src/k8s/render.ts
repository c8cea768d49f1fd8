// Renders a kustomize overlay with `kubectl kustomize` (kustomize built into kubectl) and parses it.
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './schema.js';

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

export const OVERLAYS = ['dev', 'staging', 'prod', 'prod-migration'] as const;

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
