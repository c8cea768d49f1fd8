// What the manifest CLIs (policy, release-check) check: kustomize folders, rendered manifest files, or by
// default every overlay of deploy/k8s/overlays. Relative paths are taken from where the command was typed
// (npm runs workspace scripts from deploy/, and says where it was started in INIT_CWD).
import { resolve } from 'node:path';
import { OVERLAYS_DIR, listOverlays, readManifest, renderOverlay } from './render.js';
import type { K8sObject } from './schema.js';

export interface ManifestSource {
  /** What the output calls it: the folder or file as given, or the overlay's name. */
  label: string;
  load(): K8sObject[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Sources from the command line; `undefined` when help was asked for. */
export function sourcesFrom(
  args: string[],
  cwd = process.env['INIT_CWD'] ?? process.cwd(),
): ManifestSource[] | undefined {
  const sources: ManifestSource[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--manifest' || arg === '-f') {
      const file = args[++i];
      if (!file) throw new UsageError(`${arg} needs a file (or - for standard input)`);
      const path = file === '-' ? '-' : resolve(cwd, file);
      sources.push({ label: file === '-' ? 'stdin' : file, load: () => readManifest(path) });
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      const dir = resolve(cwd, arg);
      sources.push({ label: arg, load: () => renderOverlay(dir) });
    }
  }
  if (sources.length > 0) return sources;
  return listOverlays().map((name) => ({ label: name, load: () => renderOverlay(`${OVERLAYS_DIR}${name}`) }));
}
