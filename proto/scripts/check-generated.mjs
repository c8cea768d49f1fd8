// CI guard: after `npm run generate`, src/gen must match what git has (index and HEAD). Any change or
// untracked file means someone edited a .proto without regenerating, or generated code by hand.
/* global process, console */
import { execFileSync } from 'node:child_process';

const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'src/gen'], {
  encoding: 'utf8',
}).trim();
if (status !== '') {
  console.error('Generated code in proto/src/gen differs from git after `npm run generate`:');
  console.error(status);
  console.error('Run `npm run generate` in proto/ and commit the result.');
  process.exit(1);
}
console.error('proto/src/gen is up to date.');
