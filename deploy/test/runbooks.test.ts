// Every alert links to a runbook section that exists, and every service has a runbook. The runbooks'
// commands are written so they work when pasted (log levels as the roles write them, kubectl plugin
// syntax, port-forward in the background, distinct Job names), each service runbook has symptoms and says
// whom to escalate to, and every repository path the runbooks and deploy/ comments name exists.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY_DIR, REPO_ROOT } from './lib/paths.js';
import { ruleGroups } from './lib/rules.js';

const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .trim()
    .replace(/ /g, '-');

describe('runbooks', () => {
  it('exist for every service, with the rollback and the post-incident template', () => {
    for (const name of [
      'gateway',
      'auth',
      'control',
      'signaling',
      'sfu',
      'turn',
      'chat',
      'notification',
      'recording',
      'billing',
      'launcher',
      'rollback',
      'post-incident',
    ])
      expect(existsSync(join(REPO_ROOT, 'playbooks', `${name}.md`)), name).toBe(true);
  });

  it('have the section each alert links to', () => {
    const broken: string[] = [];
    for (const group of ruleGroups())
      for (const rule of group.rules) {
        if (!rule.alert) continue;
        const url = (rule as { annotations?: { runbook_url?: string } }).annotations?.runbook_url ?? '';
        const m = /\/playbooks\/([\w-]+\.md)#([\w-]+)$/.exec(url);
        if (!m?.[1] || !m[2]) {
          broken.push(`${rule.alert}: runbook_url "${url}" does not point into playbooks/`);
          continue;
        }
        const file = join(REPO_ROOT, 'playbooks', m[1]);
        const headings = existsSync(file)
          ? readFileSync(file, 'utf8')
              .split('\n')
              .filter((l) => l.startsWith('#'))
              .map((l) => slug(l.replace(/^#+\s*/, '')))
          : [];
        if (!headings.includes(m[2])) broken.push(`${rule.alert}: ${m[1]} has no section #${m[2]}`);
      }
    expect(broken).toEqual([]);
  });
});

const PLAYBOOKS = join(REPO_ROOT, 'playbooks');
const runbooks = () =>
  readdirSync(PLAYBOOKS)
    .filter((f) => f.endsWith('.md'))
    .map((f) => ({ file: f, text: readFileSync(join(PLAYBOOKS, f), 'utf8') }));
const ROLE_RUNBOOKS = [
  'gateway',
  'auth',
  'control',
  'signaling',
  'sfu',
  'chat',
  'notification',
  'recording',
  'billing',
];

/** Lines of a text that match, as `file:line: text`. */
function matching(file: string, text: string, pattern: RegExp): string[] {
  return text
    .split('\n')
    .flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

describe('runbook commands', () => {
  it('grep log levels as the roles write them ("level":"error"), not pino numbers', () => {
    expect(runbooks().flatMap((r) => matching(r.file, r.text, /"level":\s*\d/))).toEqual([]);
  });

  it('call the Argo Rollouts plugin before its flags (kubectl argo rollouts ... -n origo)', () => {
    expect(
      runbooks().flatMap((r) => matching(r.file, r.text, /kubectl\s+(-n\s*\S+|--namespace[= ]\S+)\s+argo\b/)),
    ).toEqual([]);
  });

  it('run port-forward in the background before using it, never "port-forward ... &&"', () => {
    expect(runbooks().flatMap((r) => matching(r.file, r.text, /port-forward[^\n]*&&/))).toEqual([]);
  });

  it('give each Job they create a name of its own', () => {
    const names = runbooks().flatMap((r) =>
      [...r.text.matchAll(/kubectl[^\n`]*\screate job\s[^\n`]*?\s([a-z0-9][a-z0-9-]*)\s*(?:$|`)/gm)].map(
        (m) => m[1]!,
      ),
    );
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});

describe('runbook contents', () => {
  it('treat every role as real: nothing marked unverified or being built', () => {
    expect(runbooks().flatMap((r) => matching(r.file, r.text, /unverified|being built/i))).toEqual([]);
  });

  it('give every service runbook its symptoms and an escalation that says to whom', () => {
    const problems: string[] = [];
    for (const name of [...ROLE_RUNBOOKS, 'turn']) {
      const text = readFileSync(join(PLAYBOOKS, `${name}.md`), 'utf8');
      const sections = text.split(/^## /m).slice(1);
      if (!sections.some((s) => /^symptoms\b/i.test(s))) problems.push(`${name}.md: no Symptoms section`);
      const escalation = sections.filter((s) => /^[^\n]*escalat/i.test(s));
      if (escalation.length === 0) problems.push(`${name}.md: no escalation section`);
      else if (!escalation.some((s) => /owner|engineering manager|incident commander/i.test(s)))
        problems.push(`${name}.md: the escalation does not say to whom`);
    }
    expect(problems).toEqual([]);
  });

  it('list OrigoTargetDown among the alerts of every role runbook', () => {
    const missing = ROLE_RUNBOOKS.filter((name) => {
      const alerts = /^[^\n]*Alerts:[\s\S]*?\n\n/m.exec(readFileSync(join(PLAYBOOKS, `${name}.md`), 'utf8'));
      return !alerts?.[0].includes('OrigoTargetDown');
    });
    expect(missing).toEqual([]);
  });
});

describe('runbook and deploy README facts', () => {
  it('list gRPC alerts only for roles with a gRPC server', () => {
    const wrong = ROLE_RUNBOOKS.filter((name) => {
      const text = readFileSync(join(PLAYBOOKS, `${name}.md`), 'utf8');
      const alerts = /^[^\n]*Alerts:[\s\S]*?\n\n/m.exec(text)?.[0] ?? '';
      return /no\s+gRPC\s+server/i.test(text) && /Grpc\w+/.test(alerts);
    });
    expect(wrong).toEqual([]);
  });

  it("read the prod SFU's announced address from its file (the variable is not set there)", () => {
    const sfu = readFileSync(join(PLAYBOOKS, 'sfu.md'), 'utf8');
    expect(sfu).toContain('cat /run/sfu/announced');
    expect(sfu).not.toMatch(/printenv SFU_ANNOUNCED_ADDRESSES`\s*\(dev\/staging:[^)]*prod/);
  });

  it('say that rollback.sh --dry-run needs a logged-in argocd, and that prod sync stays manual', () => {
    const rollback = readFileSync(join(PLAYBOOKS, 'rollback.md'), 'utf8');
    expect(rollback).toMatch(/--dry-run` too/);
    expect(rollback).toContain('--sync-policy automated --auto-prune --self-heal');
    expect(rollback).toMatch(/prod has no automated sync[\s\S]{0,60}stays\s+manual/);
    expect(rollback).toContain('argocd app set origo-prod --path deploy/k8s/overlays/prod-migration');
  });

  it('name in the cluster prerequisites every namespace the NetworkPolicies select', () => {
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(e.name))
          for (const m of readFileSync(path, 'utf8').matchAll(/kubernetes\.io\/metadata\.name:\s*([\w-]+)/g))
            names.add(m[1]!);
      }
    };
    for (const d of ['k8s', 'observability', 'coturn', 'rollout']) walk(join(DEPLOY_DIR, d));
    expect([...names].sort()).toEqual(
      expect.arrayContaining(['ingress-nginx', 'monitoring', 'observability']),
    );
    const readme = readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8');
    const kubernetes = readme.slice(
      readme.indexOf('## Kubernetes'),
      readme.indexOf('### Checking manifests'),
    );
    expect([...names].filter((n) => !kubernetes.includes(`\`${n}\``))).toEqual([]);
  });
});

/** Files whose repository paths must exist: the runbooks, deploy's README and the manifests' comments. */
function documents(): Array<{ file: string; text: string }> {
  const yamlComments = (dir: string): Array<{ file: string; text: string }> =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' ? [] : yamlComments(path);
      if (!/\.ya?ml$|Dockerfile$|\.sh$/.test(e.name)) return [];
      const comments = readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => /^\s*#/.test(l))
        .join('\n');
      return [{ file: relative(REPO_ROOT, path), text: comments }];
    });
  return [
    ...runbooks().map((r) => ({ file: `playbooks/${r.file}`, text: r.text })),
    { file: 'deploy/README.md', text: readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8') },
    ...['k8s', 'rollout', 'coturn', 'observability', 'argocd', 'docker', 'scripts'].flatMap((d) =>
      yamlComments(join(DEPLOY_DIR, d)),
    ),
  ];
}

describe('paths in runbooks, deploy/README.md and manifest comments', () => {
  it('name files and folders that exist', () => {
    const broken: string[] = [];
    for (const { file, text } of documents()) {
      // Repository paths (deploy/..., playbooks/..., docs/..., platform/..., .github/...), no placeholders.
      for (const m of text.matchAll(
        /(?<![\w./-])((?:deploy|playbooks|docs|platform|\.github)\/[\w./-]*[\w/])/g,
      )) {
        const path = m[1]!;
        const after = text.slice((m.index ?? 0) + path.length);
        if (/^[<{*]/.test(after)) continue;
        // kubectl's deploy/<name> (a Deployment) is not a path: a path has a folder or a file extension.
        if (/^deploy\/[\w-]+$/.test(path)) continue;
        if (!existsSync(join(REPO_ROOT, path))) broken.push(`${file}: ${path}`);
      }
      // Markdown links to other files, relative to the file.
      if (file.endsWith('.md'))
        for (const m of text.matchAll(/\]\(([^)#:\s]+)(?:#[^)]*)?\)/g))
          if (!existsSync(join(REPO_ROOT, dirname(file), m[1]!))) broken.push(`${file}: link ${m[1]}`);
    }
    expect(broken).toEqual([]);
  });
});
