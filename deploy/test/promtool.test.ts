// Prometheus rules and Alertmanager routing checked with the real tools (Debian's prometheus and
// prometheus-alertmanager packages): syntax, the alert unit tests, and where each severity goes.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEPLOY_DIR } from './lib/paths.js';
import { ruleGroups } from './lib/rules.js';
import { missingTools, run } from './lib/tools.js';

const TESTS_DIR = join(DEPLOY_DIR, 'observability', 'tests');
const ALERTMANAGER = join(DEPLOY_DIR, 'observability', 'alertmanager', 'alertmanager.yaml');

describe.skipIf(missingTools('promtool') !== undefined)('Prometheus rules (promtool)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'origo-promtool-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups() }));
    for (const file of readdirSync(TESTS_DIR)) copyFileSync(join(TESTS_DIR, file), join(dir, file));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pass promtool check rules', () => {
    const result = run('promtool', ['check', 'rules', 'rules.yaml'], { cwd: dir });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('pass every alert unit test in deploy/observability/tests', () => {
    const files = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yaml'));
    expect(files.length).toBeGreaterThan(0);
    const result = run('promtool', ['test', 'rules', ...files], { cwd: dir });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('have a unit test that sees each alert fire and one that sees it stay quiet', () => {
    const alerts = ruleGroups().flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    const tests = readdirSync(TESTS_DIR)
      .filter((f) => f.endsWith('.test.yaml'))
      .map((f) => run('cat', [join(TESTS_DIR, f)]).stdout)
      .join('\n');
    const missing: string[] = [];
    for (const alert of alerts) {
      // A firing case lists exp_labels after the alert name; a quiet case has "exp_alerts: []".
      const cases = [...tests.matchAll(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:(.*)`, 'g'))];
      if (!cases.some((m) => m[1]?.trim() === '[]')) missing.push(`${alert} (never checked quiet)`);
      if (!cases.some((m) => m[1]?.trim() === '')) missing.push(`${alert} (never checked firing)`);
    }
    expect(missing).toEqual([]);
  });
});

describe.skipIf(missingTools('promtool') !== undefined)('npm run promtool (the by-hand run)', () => {
  const promtoolCli = (...args: string[]) =>
    run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'src/observability/promtool-cli.ts', ...args],
      {
        cwd: DEPLOY_DIR,
      },
    );

  it('writes rules.yaml from the PrometheusRule, then passes check rules and the chosen alert test', () => {
    const result = promtoolCli('sfu.test.yaml', '--keep');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain('$ promtool check rules rules.yaml');
    expect(result.stderr).toContain('$ promtool test rules sfu.test.yaml');
    expect(result.stdout).toContain('SUCCESS');
    const kept = /kept (\S+) /.exec(result.stderr)?.[1];
    expect(kept).toBeDefined();
    expect(readdirSync(kept!).sort()).toEqual(expect.arrayContaining(['rules.yaml', 'sfu.test.yaml']));
    rmSync(kept!, { recursive: true, force: true });
  });

  it('refuses a test file that does not exist', () => {
    const result = promtoolCli('nope.test.yaml');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no such test');
  });
});

describe.skipIf(missingTools('amtool') !== undefined)('Alertmanager routing (amtool)', () => {
  it('passes amtool check-config', () => {
    const result = run('amtool', ['check-config', ALERTMANAGER]);
    expect(result.stdout).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  const route = (...labels: string[]) =>
    run('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER}`, ...labels]).stdout.trim();

  it('pages on-call for critical alerts and posts them to the channel', () => {
    expect(route('severity=critical', 'service=auth')).toBe('oncall-pager,oncall-channel');
  });

  it('sends warnings to the on-call channel only', () => {
    expect(route('severity=warning', 'service=sfu')).toBe('oncall-channel');
  });

  it('reaches the engineering manager when a service stays degraded', () => {
    expect(route('severity=critical', 'escalate=engineering-manager', 'service=control')).toBe(
      'engineering-manager,oncall-pager,oncall-channel',
    );
  });

  it('references every alert label it routes on from the rules', () => {
    const severities = new Set(
      ruleGroups()
        .flatMap((g) => g.rules.map((r) => r.labels?.['severity']))
        .filter(Boolean),
    );
    expect([...severities].sort()).toEqual(['critical', 'warning']);
  });
});
