// Runs the Prometheus rule checks by hand, as deploy/test/promtool.test.ts does: the rules live in a
// PrometheusRule (observability/k8s/prometheus-rules.yaml) that promtool cannot read, and the unit tests
// (observability/tests/*.test.yaml) name `rules.yaml`. This writes the rule groups (.spec.groups) to
// rules.yaml in a temporary folder next to copies of the tests, then runs `promtool check rules` and
// `promtool test rules` there.
//   npm run promtool -w @origo/deploy [-- [--keep] [<test file>...]]
// --keep leaves the folder (its path is printed) to rerun promtool in it while editing a test.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const OBSERVABILITY = fileURLToPath(new URL('../../observability/', import.meta.url));
const RULES = join(OBSERVABILITY, 'k8s', 'prometheus-rules.yaml');
const TESTS = join(OBSERVABILITY, 'tests');

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.error('usage: npm run promtool -w @origo/deploy [-- [--keep] [<test file>...]]');
  process.exit(0);
}
const keep = args.includes('--keep');
const wanted = args.filter((a) => a !== '--keep').map((a) => basename(a));

const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
if (probe.error) {
  console.error('promtool: not found; install it (Debian: apt-get install prometheus) and run again');
  process.exit(2);
}

const doc = parse(readFileSync(RULES, 'utf8')) as { spec?: { groups?: unknown[] } };
if (!doc.spec?.groups) {
  console.error(`promtool: ${RULES} has no spec.groups`);
  process.exit(2);
}
const tests = readdirSync(TESTS).filter((f) => f.endsWith('.test.yaml'));
const unknown = wanted.filter((w) => !tests.includes(w));
if (unknown.length > 0) {
  console.error(`promtool: no such test in ${TESTS}: ${unknown.join(', ')}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'origo-promtool-'));
let status = 0;
try {
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: doc.spec.groups }));
  for (const file of readdirSync(TESTS)) copyFileSync(join(TESTS, file), join(dir, file));
  const run = (argv: string[]) => {
    console.error(`$ promtool ${argv.join(' ')}   (in ${dir})`);
    const result = spawnSync('promtool', argv, { cwd: dir, stdio: 'inherit' });
    if (result.status !== 0) status = 1;
  };
  run(['check', 'rules', 'rules.yaml']);
  run(['test', 'rules', ...(wanted.length > 0 ? wanted : tests)]);
} finally {
  if (keep) console.error(`promtool: kept ${dir} (rules.yaml and the tests)`);
  else rmSync(dir, { recursive: true, force: true });
}
console.error(status === 0 ? 'promtool: rules and alert tests pass' : 'promtool: FAILED');
process.exit(status);
