// The change-impact report: rules read from docs/change-risk.md, the workspace graph of this repository,
// and a throwaway git repository where buf finds (or does not find) a breaking protocol change.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { protoBreaking } from '../src/impact/git.js';
import { buildReport, formatText, type ChangedFile } from '../src/impact/report.js';
import { RulesFormatError, globToRegExp, loadRules, parseRules } from '../src/impact/rules.js';
import { readWorkspaces } from '../src/impact/workspaces.js';
import { REPO_ROOT } from './lib/paths.js';

const rules = loadRules(join(REPO_ROOT, 'docs', 'change-risk.md'));
const workspaces = readWorkspaces(REPO_ROOT);
const noProto = { ran: false, breaking: false, output: '' };
const report = (files: ChangedFile[], proto = noProto) =>
  buildReport({ base: 'base', head: 'head', files, workspaces, rules, proto });
const m = (path: string): ChangedFile => ({ status: 'M', path });

describe('risk rules from docs/change-risk.md', () => {
  it('parse into path rules and reviewers for every level', () => {
    expect(rules.paths.length).toBeGreaterThan(20);
    expect(Object.keys(rules.reviewers).sort()).toEqual(['CRITICAL', 'HIGH', 'LOW', 'MEDIUM']);
  });

  it('refuse a rule with an unknown level, naming the rule', () => {
    const doc =
      '## Path rules\n| pattern | category | level |\n| --- | --- | --- |\n| `a/**` | x | SEVERE |\n';
    expect(() => parseRules(doc)).toThrow(RulesFormatError);
    expect(() => parseRules(doc)).toThrow(/a\/\*\*/);
  });

  it('match globs the way the document says', () => {
    expect(globToRegExp('platform/*/drizzle/**').test('platform/control/drizzle/0001_x.sql')).toBe(true);
    expect(globToRegExp('platform/*/drizzle/**').test('platform/control/src/drizzle/x.ts')).toBe(false);
    expect(globToRegExp('**/*.md').test('README.md')).toBe(true);
    expect(globToRegExp('**/test/**').test('sfu/test/a.test.ts')).toBe(true);
  });
});

describe('impact report', () => {
  it('rates a documentation-only change LOW with one code owner and nothing to run', () => {
    const r = report([m('docs/architecture.md'), m('playbooks/sfu.md')]);
    expect(r.level).toBe('LOW');
    expect(r.reviewers).toBe('1 code owner');
    expect(r.tests).toEqual([]);
  });

  it('rates the deploy code that runs in production (TURN rotation and probe, smoke gate) MEDIUM, with its reason', () => {
    for (const path of [
      'deploy/src/turn/rotation.ts',
      'deploy/src/turn/probe-cli.ts',
      'deploy/src/smoke/smoke.ts',
    ]) {
      const r = report([m(path)]);
      expect(r.level, path).toBe('MEDIUM');
      expect(r.reasons.join('\n'), path).toMatch(/MEDIUM: production (job|gate)/);
    }
    expect(report([m('deploy/src/turn/rotation.ts')]).reasons.join('\n')).toContain('TURN secret rotation');
    expect(report([m('deploy/src/smoke/smoke-cli.ts')]).reasons.join('\n')).toContain('canary smoke test');
    // The manifest checks and gates only run in CI: still tooling.
    expect(report([m('deploy/src/k8s/policy.ts')]).level).toBe('LOW');
  });

  it('rates the SFU media path HIGH and lists dependents, browser tests and the bench smoke', () => {
    const r = report([m('sfu/src/media/Consumer.ts')]);
    expect(r.level).toBe('HIGH');
    expect(r.workspaces.changed).toEqual(['@origo/sfu']);
    expect(r.workspaces.affected).toEqual(
      expect.arrayContaining(['@origo/sfu', '@origo/signaling', '@origo/launcher']),
    );
    expect(r.tests).toEqual(
      expect.arrayContaining(['npx turbo run test --filter=@origo/sfu', 'npm run test:e2e']),
    );
    expect(r.tests.some((t) => t.startsWith('npm run bench:smoke'))).toBe(true);
    expect(r.touched.map((t) => t.category)).toEqual(['SFU media path']);
  });

  it('rates a new migration HIGH and names it', () => {
    const r = report([
      { status: 'A', path: 'platform/control/drizzle/0001_rooms.sql' },
      m('platform/control/src/meetings.ts'),
    ]);
    expect(r.level).toBe('HIGH');
    expect(r.migrations).toEqual(['platform/control/drizzle/0001_rooms.sql']);
    expect(r.reasons.join('\n')).toMatch(/new migration platform\/control\/drizzle\/0001_rooms.sql/);
  });

  it('rates a breaking protocol change CRITICAL with the engineering manager among the reviewers', () => {
    const r = report([m('proto/origo/signal/v1/signal.proto')], {
      ran: true,
      breaking: true,
      output: 'Field "3" was deleted',
    });
    expect(r.level).toBe('CRITICAL');
    expect(r.reviewers).toMatch(/engineering manager/);
    expect(formatText(r)).toMatch(/BREAKING: Field "3" was deleted/);
  });

  it('treats a path no rule knows as MEDIUM, not LOW', () => {
    expect(report([m('somewhere/new.txt')]).level).toBe('MEDIUM');
  });
});

describe('buf breaking through git', () => {
  const dir = mkdtempSync(join(tmpdir(), 'origo-impact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  const proto = (fields: string) =>
    `syntax = "proto3";\npackage demo.v1;\n// A message.\nmessage Thing {\n${fields}}\n`;

  it('reports a deleted field as breaking and an added one as not', () => {
    git('init', '-q', '-b', 'main');
    mkdirSync(join(dir, 'proto', 'demo', 'v1'), { recursive: true });
    writeFileSync(join(dir, 'proto', 'buf.yaml'), readFileSync(join(REPO_ROOT, 'proto', 'buf.yaml')));
    const file = join(dir, 'proto', 'demo', 'v1', 'thing.proto');
    writeFileSync(file, proto('  // Its id.\n  string id = 1;\n  // Its name.\n  string name = 2;\n'));
    git('add', '-A');
    git('commit', '-qm', 'one');
    const first = git('rev-parse', 'HEAD');
    writeFileSync(
      file,
      proto(
        '  // Its id.\n  string id = 1;\n  // Its name.\n  string name = 2;\n  // Its size.\n  uint32 size = 3;\n',
      ),
    );
    git('commit', '-qam', 'add a field');
    const added = git('rev-parse', 'HEAD');
    writeFileSync(file, proto('  // Its id.\n  string id = 1;\n  // Its size.\n  uint32 size = 3;\n'));
    git('commit', '-qam', 'delete a field');
    const deleted = git('rev-parse', 'HEAD');

    const safe = protoBreaking(dir, first, added);
    expect(safe.ran).toBe(true);
    expect(safe.breaking).toBe(false);
    const breaking = protoBreaking(dir, added, deleted);
    expect(breaking.breaking).toBe(true);
    expect(breaking.output).toMatch(/name/);
  });
});
