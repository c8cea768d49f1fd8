// npm run gate:perf -w @origo/deploy -- [--update]
// Runs `npm run bench:media` with the baseline's arguments into a temporary folder, then compares the
// SFU/ceiling cost ratio with deploy/gates/perf-baseline.json (--update records it as the new baseline).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../impact/git.js';
import { evaluatePerf, type BenchSummary, type PerfBaseline } from './perf.js';

const root = repoRoot(process.cwd());
const baselineFile = join(root, 'deploy', 'gates', 'perf-baseline.json');
const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as PerfBaseline;
const out = mkdtempSync(join(tmpdir(), 'origo-perf-gate-'));

/** Runs the bench and the comparison; returns the exit code (the temporary folder is removed after). */
function gate(): number {
  const bench = spawnSync('npm', ['run', 'bench:media', '--', ...baseline.benchArgs, '--out', out], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (bench.status !== 0) {
    console.error(`gate:perf: the bench failed (exit ${bench.status})`);
    return 1;
  }
  const file = readdirSync(out).find((f) => f.endsWith('.json'));
  if (!file) {
    console.error('gate:perf: the bench wrote no result');
    return 1;
  }
  const run = JSON.parse(readFileSync(join(out, file), 'utf8')) as BenchSummary;
  const result = evaluatePerf(baseline, run);
  for (const line of result.messages) console.error(line);
  if (process.argv.includes('--update') && result.ratio !== undefined) {
    const next = {
      ...baseline,
      costVsCeiling: result.ratio,
      measuredOn: new Date().toISOString().slice(0, 10),
    };
    writeFileSync(baselineFile, `${JSON.stringify(next, null, 2)}\n`);
    console.error(`wrote ${baselineFile}`);
    return 0;
  }
  return result.ok ? 0 : 1;
}

let code = 1;
try {
  code = gate();
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(code);
