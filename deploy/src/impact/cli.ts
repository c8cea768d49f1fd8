// npm run impact -- <base> [--head <ref>] [--json | --markdown]
// Prints what a change touches and how risky it is (docs/change-risk.md). Exit 0 whatever the level;
// exit 2 on bad arguments.
import { join } from 'node:path';
import { GitError, changedFiles, protoBreaking, repoRoot, resolveRef } from './git.js';
import { buildReport, formatText } from './report.js';
import { loadRules } from './rules.js';
import { readWorkspaces } from './workspaces.js';

const USAGE = 'usage: npm run impact -- <base> [--head <ref>] [--json | --markdown]';

function parse(argv: string[]): { base: string; head: string; format: 'text' | 'json' | 'markdown' } {
  let base: string | undefined;
  let head = 'HEAD';
  let format: 'text' | 'json' | 'markdown' = 'text';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') format = 'json';
    else if (arg === '--markdown') format = 'markdown';
    else if (arg === '--head') head = argv[++i] ?? '';
    else if (arg.startsWith('--head=')) head = arg.slice('--head='.length);
    else if (!arg.startsWith('-') && base === undefined) base = arg;
    else throw new GitError(`unexpected argument "${arg}"`);
  }
  if (!base) throw new GitError('the base revision is required');
  if (!head) throw new GitError('--head needs a revision');
  return { base, head, format };
}

try {
  const args = parse(process.argv.slice(2));
  const root = repoRoot(process.cwd());
  const base = resolveRef(root, args.base);
  const head = resolveRef(root, args.head);
  const files = changedFiles(root, base, head);
  const proto = files.some((f) => f.path.startsWith('proto/') && f.path.endsWith('.proto'))
    ? protoBreaking(root, base, head)
    : { ran: false, breaking: false, output: '' };
  const report = buildReport({
    base: args.base,
    head: args.head,
    files,
    workspaces: readWorkspaces(root),
    rules: loadRules(join(root, 'docs', 'change-risk.md')),
    proto,
  });
  process.stdout.write(
    args.format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${formatText(report, args.format === 'markdown')}\n`,
  );
} catch (err) {
  if (!(err instanceof GitError)) throw err;
  console.error(`impact: ${err.message}\n${USAGE}`);
  process.exit(2);
}
