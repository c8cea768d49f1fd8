// npm run gate:coverage -w @origo/deploy -- [--base <ref>] [--update]
// Reads <workspace>/coverage/coverage-summary.json of every workspace (written by
// `npx turbo run test -- --coverage.enabled --coverage.reporter=json-summary`), compares with
// deploy/gates/coverage-baseline.json, and with --update writes the current figures as the new baseline.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitError, changedFiles, repoRoot, resolveRef } from '../impact/git.js';
import { readWorkspaces } from '../impact/workspaces.js';
import { evaluate, readSummary, type Baseline, type Summary } from './coverage.js';

const root = repoRoot(process.cwd());
const baselineFile = join(root, 'deploy', 'gates', 'coverage-baseline.json');
const args = process.argv.slice(2);
const update = args.includes('--update');
const baseIndex = args.indexOf('--base');
const baseRef = baseIndex >= 0 ? args[baseIndex + 1] : undefined;

const summaries: Record<string, Summary> = {};
for (const ws of readWorkspaces(root)) {
  const file = join(root, ws.dir, 'coverage', 'coverage-summary.json');
  if (existsSync(file)) summaries[ws.name] = readSummary(JSON.parse(readFileSync(file, 'utf8')));
}
if (Object.keys(summaries).length === 0) {
  console.error('gate:coverage: no coverage/coverage-summary.json found; run the tests with coverage first');
  process.exit(2);
}

let addedSources: string[] = [];
if (baseRef !== undefined) {
  try {
    const base = resolveRef(root, baseRef);
    addedSources = changedFiles(root, base, 'HEAD')
      .filter((f) => f.status === 'A' && /\/src\/.*\.ts$/.test(f.path) && !/\.(test|d)\.ts$/.test(f.path))
      // Entry points and re-export barrels are exercised by running them, not by unit tests.
      .filter((f) => !f.path.includes('/gen/') && !/(\/(cli|bin|index)|-cli)\.ts$/.test(f.path))
      .map((f) => f.path);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    console.error(`gate:coverage: ${err.message}`);
    process.exit(2);
  }
}

const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Baseline;
const result = evaluate({ baseline, summaries, addedSources, repoRoot: root });
console.error(`global line coverage ${result.globalPercent}% (baseline ${baseline.globalPercent}%)`);
for (const [name, percent] of Object.entries(result.packages))
  console.error(`  ${name.padEnd(22)} ${percent}%`);
for (const note of result.notes) console.error(`note: ${note}`);
if (update) {
  writeFileSync(
    baselineFile,
    `${JSON.stringify({ ...baseline, globalPercent: result.globalPercent, packages: result.packages }, null, 2)}\n`,
  );
  console.error(`wrote ${baselineFile}`);
  process.exit(0);
}
for (const problem of result.problems) console.error(`FAIL: ${problem}`);
process.exit(result.ok ? 0 : 1);
