// npm run fuzz [-- --seconds N] [-- --inputs N] [-- --target NAME]: runs every fuzz target (media plane
// parsers and rewriters, SDP, the signaling protocol decoder) with fresh random seeds for a time budget
// each (60 s by default), or until each has tried N inputs (`--inputs 1000000` is the long run), and prints
// the inputs tried per target. On a failure it prints the counterexample and the seed
// and path that replay it (fc.assert(property, { seed, path })), then exits 1: keep that input as a
// regression case in the package's test/fuzz.test.ts.
import fc from 'fast-check';
import { MEDIA_TARGETS } from '../sfu/test/fuzz/targets.js';
import { PROTOCOL_TARGETS } from '../proto/test/fuzz/targets.js';

interface Target {
  name: string;
  property: fc.IRawProperty<unknown[]>;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seconds = Number(option('seconds') ?? process.env['FUZZ_SECONDS'] ?? 60);
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`--seconds must be a positive number, got ${option('seconds')}`);
  process.exit(2);
}
const inputs = option('inputs') === undefined ? undefined : Number(option('inputs'));
if (inputs !== undefined && (!Number.isInteger(inputs) || inputs <= 0)) {
  console.error(`--inputs must be a positive integer, got ${option('inputs')}`);
  process.exit(2);
}
const only = option('target');
const targets: Target[] = [...MEDIA_TARGETS, ...PROTOCOL_TARGETS].filter((t) => !only || t.name === only);
if (targets.length === 0) {
  console.error(
    `no target named ${only}; targets: ${[...MEDIA_TARGETS, ...PROTOCOL_TARGETS].map((t) => t.name).join(', ')}`,
  );
  process.exit(2);
}

const BATCH = 2_000;
let failed = false;
console.log(
  inputs === undefined
    ? `fuzzing ${targets.length} targets for ${seconds} s each`
    : `fuzzing ${targets.length} targets for ${inputs} inputs each`,
);
for (const target of targets) {
  const until = inputs === undefined ? performance.now() + seconds * 1000 : Infinity;
  const started = performance.now();
  let runs = 0;
  while (inputs === undefined ? performance.now() < until : runs < inputs) {
    const seed = (Math.random() * 2 ** 31) | 0;
    const batch = inputs === undefined ? BATCH : Math.min(BATCH, inputs - runs);
    const details = fc.check(target.property, { seed, numRuns: batch });
    runs += details.numRuns;
    if (details.failed) {
      failed = true;
      console.log(`${target.name}: FAILED after ${runs} inputs`);
      console.log(`  counterexample: ${fc.stringify(details.counterexample)}`);
      console.log(
        `  replay: fc.assert(property, { seed: ${details.seed}, path: '${details.counterexamplePath}' })`,
      );
      console.log(
        `  error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
      );
      break;
    }
  }
  const rate = Math.round(runs / ((performance.now() - started) / 1000));
  console.log(
    `${target.name.padEnd(16)} ${String(runs).padStart(10)} inputs ${rate.toLocaleString('en-US').padStart(8)}/s  ` +
      (failed ? 'crash found' : '0 crashes'),
  );
  if (failed) break;
}
process.exit(failed ? 1 : 0);
