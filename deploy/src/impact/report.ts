// The impact of a change: affected workspaces, tests to run, proto and migration findings, touched
// security/infrastructure/SFU paths, the risk level and who must review. Pure: git and buf results come in.
import { LEVELS, maxLevel, ruleFor, type Level, type RiskRules } from './rules.js';
import { affected, owner, type Workspace } from './workspaces.js';

export interface ChangedFile {
  status: 'A' | 'M' | 'D' | 'R';
  path: string;
}

export interface ProtoCheck {
  /** buf ran and compared; false when no proto file changed or buf could not run. */
  ran: boolean;
  breaking: boolean;
  output: string;
}

export interface ImpactReport {
  base: string;
  head: string;
  files: number;
  workspaces: { changed: string[]; affected: string[] };
  tests: string[];
  proto: ProtoCheck & { changed: string[] };
  migrations: string[];
  touched: Array<{ category: string; level: Level; paths: string[] }>;
  level: Level;
  reasons: string[];
  reviewers: string;
}

const MIGRATION = /^platform\/[^/]+\/drizzle\/[^/]+\.sql$/;
const DOC = /(^docs\/|^playbooks\/|\.md$)/;

export function buildReport(input: {
  base: string;
  head: string;
  files: ChangedFile[];
  workspaces: Workspace[];
  rules: RiskRules;
  proto: ProtoCheck;
}): ImpactReport {
  const { files, workspaces, rules } = input;
  const changedWs = new Set<string>();
  for (const f of files) {
    const ws = owner(workspaces, f.path);
    if (ws) changedWs.add(ws.name);
  }
  const affectedWs = affected(workspaces, changedWs);

  const byCategory = new Map<string, { level: Level; paths: string[] }>();
  const reasons: string[] = [];
  const levels: Level[] = [];
  for (const f of files) {
    const rule = ruleFor(rules, f.path);
    const category = rule?.category ?? 'unclassified';
    const level = rule?.level ?? 'MEDIUM';
    const entry = byCategory.get(category) ?? { level, paths: [] };
    entry.paths.push(f.path);
    byCategory.set(category, entry);
    levels.push(level);
  }
  for (const [category, { level, paths }] of byCategory)
    if (level !== 'LOW')
      reasons.push(`${level}: ${category} (${paths.length} file${paths.length === 1 ? '' : 's'})`);

  const migrations = files.filter((f) => f.status === 'A' && MIGRATION.test(f.path)).map((f) => f.path);
  if (migrations.length > 0) {
    levels.push('HIGH');
    reasons.push(`HIGH: new migration${migrations.length === 1 ? '' : 's'} ${migrations.join(', ')}`);
  }
  const protoChanged = files
    .filter((f) => f.path.startsWith('proto/') && f.path.endsWith('.proto'))
    .map((f) => f.path);
  if (input.proto.breaking) {
    levels.push('CRITICAL');
    reasons.push('CRITICAL: buf breaking reports a breaking protocol change');
  }
  const onlyDocs = files.length > 0 && files.every((f) => DOC.test(f.path));
  const level = files.length === 0 ? 'LOW' : onlyDocs ? 'LOW' : maxLevel(levels);
  if (onlyDocs) reasons.push('LOW: documentation only');

  // Tests: each affected workspace's suite; browser tests when a tier they drive changed.
  const tests = affectedWs
    .map((name) => workspaces.find((w) => w.name === name))
    .filter((w): w is Workspace => w?.scripts['test'] !== undefined)
    .map((w) => `npx turbo run test --filter=${w.name}`);
  const browserTiers = [
    '@origo/client',
    '@origo/signaling',
    '@origo/sfu',
    '@origo/gateway',
    '@origo/control',
    '@origo/auth',
  ];
  if (affectedWs.some((w) => browserTiers.includes(w)) || files.some((f) => f.path.startsWith('e2e/')))
    tests.push('npm run test:e2e');
  if (affectedWs.includes('@origo/sfu') || affectedWs.includes('@origo/signaling'))
    tests.push('npm run bench:smoke   (and the performance gate in CI)');
  if (protoChanged.length > 0) tests.push('npm run proto:check && npm run breaking -w @origo/proto');
  if (files.some((f) => f.path.startsWith('deploy/')) && !affectedWs.includes('@origo/deploy'))
    tests.push('npx turbo run test --filter=@origo/deploy');

  const touched = [...byCategory.entries()]
    .filter(([category]) => /^(security|infrastructure|SFU|protocol|database)/.test(category))
    .map(([category, v]) => ({ category, level: v.level, paths: v.paths }))
    .sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level));

  return {
    base: input.base,
    head: input.head,
    files: files.length,
    workspaces: { changed: [...changedWs].sort(), affected: affectedWs },
    tests,
    proto: { ...input.proto, changed: protoChanged },
    migrations,
    touched,
    level,
    reasons,
    reviewers: rules.reviewers[level],
  };
}

export function formatText(r: ImpactReport, markdown = false): string {
  const h = (t: string) => (markdown ? `### ${t}` : `${t}:`);
  const li = (t: string) => `- ${t}`;
  const code = (t: string) => (markdown ? `\`${t}\`` : t);
  const lines = [
    markdown
      ? `## Change impact: ${r.level}`
      : `Change impact ${r.base}..${r.head}: ${r.level} (${r.files} files)`,
    '',
    h('Risk'),
    li(`level ${r.level}`),
    ...r.reasons.map((x) => li(x)),
    li(`reviewers: ${r.reviewers}`),
    '',
    h('Workspaces'),
    li(`changed: ${r.workspaces.changed.join(', ') || 'none'}`),
    li(`affected (with dependents): ${r.workspaces.affected.join(', ') || 'none'}`),
    '',
    h('Tests to run'),
    ...(r.tests.length > 0 ? r.tests.map((t) => li(code(t))) : [li('none')]),
    '',
    h('Protocol (buf breaking)'),
    li(
      r.proto.changed.length === 0
        ? 'no .proto file changed'
        : !r.proto.ran
          ? `changed: ${r.proto.changed.join(', ')}; buf did not run: ${r.proto.output}`
          : r.proto.breaking
            ? `BREAKING: ${r.proto.output.trim().split('\n').slice(0, 5).join('; ')}`
            : `changed: ${r.proto.changed.join(', ')}; no breaking change`,
    ),
    '',
    h('New migrations'),
    ...(r.migrations.length > 0 ? r.migrations.map((m) => li(m)) : [li('none')]),
    '',
    h('Security, infrastructure and SFU paths'),
    ...(r.touched.length > 0
      ? r.touched.map((t) =>
          li(
            `${t.level} ${t.category}: ${t.paths.slice(0, 8).join(', ')}${t.paths.length > 8 ? `, and ${t.paths.length - 8} more` : ''}`,
          ),
        )
      : [li('none')]),
  ];
  return lines.join('\n');
}
