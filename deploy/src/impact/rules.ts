// The risk rules of docs/change-risk.md, parsed from its tables: the document is the single source.
import { readFileSync } from 'node:fs';

export const LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

export interface PathRule {
  pattern: string;
  category: string;
  level: Level;
  regex: RegExp;
}

export interface RiskRules {
  paths: PathRule[];
  reviewers: Record<Level, string>;
}

export class RulesFormatError extends Error {
  override readonly name = 'RulesFormatError';
}

export function maxLevel(levels: Iterable<Level>): Level {
  let best: Level = 'LOW';
  for (const level of levels) if (LEVELS.indexOf(level) > LEVELS.indexOf(best)) best = level;
  return best;
}

/** Glob to RegExp: `**` crosses folders, `*` stays within one, `**\/` may match nothing. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else out += /[.+?^${}()|[\]\\]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${out}$`);
}

function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`## ${heading}`);
  if (start < 0) throw new RulesFormatError(`no "## ${heading}" section`);
  const rows: string[][] = [];
  for (const line of markdown.slice(start).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim().replace(/^`|`$/g, ''));
    if (cells.every((c) => /^-+$/.test(c))) continue;
    rows.push(cells);
  }
  return rows.slice(1);
}

const isLevel = (value: string): value is Level => (LEVELS as readonly string[]).includes(value);

export function parseRules(markdown: string): RiskRules {
  const paths = tableAfter(markdown, 'Path rules').map(([pattern = '', category = '', level = '']) => {
    if (!isLevel(level))
      throw new RulesFormatError(`rule ${pattern}: level "${level}" is not one of ${LEVELS.join(', ')}`);
    return { pattern, category, level, regex: globToRegExp(pattern) };
  });
  if (paths.length === 0) throw new RulesFormatError('no path rules');
  const reviewers = {} as Record<Level, string>;
  for (const [level = '', who = ''] of tableAfter(markdown, 'Reviewers by level')) {
    if (!isLevel(level)) throw new RulesFormatError(`reviewers: "${level}" is not a level`);
    reviewers[level] = who;
  }
  for (const level of LEVELS) if (!reviewers[level]) throw new RulesFormatError(`no reviewers for ${level}`);
  return { paths, reviewers };
}

export function loadRules(file: string): RiskRules {
  return parseRules(readFileSync(file, 'utf8'));
}

/** First matching rule, in table order (specific rules come first in the document). */
export function ruleFor(rules: RiskRules, path: string): PathRule | undefined {
  return rules.paths.find((r) => r.regex.test(path));
}
