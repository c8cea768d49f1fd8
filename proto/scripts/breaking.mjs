// Breaking-change check of the protos against branch main (or the buf input given as argument, e.g.
// `npm run breaking -- '../.git#branch=origin/main,subdir=proto'` in CI clones without a local main).
// When the baseline has no proto module yet there is nothing to compare; say so and succeed.
/* global process, console */
import { execFileSync, spawnSync } from 'node:child_process';

const against = process.argv[2] ?? '../.git#branch=main,subdir=proto';
const match = /branch=([^,]+)/.exec(against);
if (against.startsWith('../.git#') && match?.[1] !== undefined) {
  const ref = match[1];
  let hasModule = false;
  try {
    hasModule =
      execFileSync('git', ['ls-tree', '--name-only', ref, '--', 'buf.yaml'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== '';
  } catch {
    hasModule = false;
  }
  if (!hasModule) {
    console.error(
      `breaking: ref "${ref}" has no proto/buf.yaml (no proto module committed there yet); ` +
        'nothing to compare against, skipping. This check becomes active once proto/ is on that ref.',
    );
    process.exit(0);
  }
}
const result = spawnSync('buf', ['breaking', '--against', against], { stdio: 'inherit' });
process.exit(result.status ?? 1);
