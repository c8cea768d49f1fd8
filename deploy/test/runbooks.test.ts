// Every alert links to a runbook section that exists, and every service has a runbook.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/paths.js';
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
