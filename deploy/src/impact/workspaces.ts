// The npm workspace graph: which workspace owns a path, and which workspaces depend on which.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Workspace {
  name: string;
  dir: string;
  dependsOn: string[];
  scripts: Record<string, string>;
}

export function readWorkspaces(root: string): Workspace[] {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const dirs = (rootPkg.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${parent}/${e.name}`);
  });
  const found = dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
        scripts?: Record<string, string>;
      };
      return {
        name: pkg.name,
        dir,
        deps: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
        scripts: pkg.scripts ?? {},
      };
    });
  const names = new Set(found.map((w) => w.name));
  return found.map((w) => ({
    name: w.name,
    dir: w.dir,
    scripts: w.scripts,
    dependsOn: w.deps.filter((d) => names.has(d)),
  }));
}

/** The workspace whose folder holds `path` (the longest matching folder), if any. */
export function owner(workspaces: Workspace[], path: string): Workspace | undefined {
  return workspaces
    .filter((w) => path === w.dir || path.startsWith(`${w.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/** The changed workspaces and every workspace that depends on one of them, directly or not. */
export function affected(workspaces: Workspace[], changed: Iterable<string>): string[] {
  const dependents = new Map<string, string[]>();
  for (const w of workspaces)
    for (const dep of w.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), w.name]);
  const out = new Set<string>();
  const queue = [...changed];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (out.has(name)) continue;
    out.add(name);
    queue.push(...(dependents.get(name) ?? []));
  }
  return [...out].sort();
}
