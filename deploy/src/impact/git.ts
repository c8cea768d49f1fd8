// Reads the diff and runs buf breaking for the impact report.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChangedFile, ProtoCheck } from './report.js';

export class GitError extends Error {
  override readonly name = 'GitError';
}

function git(root: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new GitError(`git ${args.join(' ')}: ${result.stderr.trim() || 'failed'}`);
  return result.stdout;
}

export function repoRoot(from: string): string {
  return git(from, ['rev-parse', '--show-toplevel']).trim();
}

export function resolveRef(root: string, ref: string): string {
  if (ref.startsWith('-')) throw new GitError(`"${ref}" is not a git revision`);
  return git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim();
}

/** Files changed from the merge base of base and head to head (what a pull request shows). */
export function changedFiles(root: string, base: string, head: string): ChangedFile[] {
  const out = git(root, ['diff', '--name-status', '--no-renames', `${base}...${head}`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status = 'M', path = ''] = line.split('\t');
      return { status: (status[0] ?? 'M') as ChangedFile['status'], path };
    });
}

/** `buf breaking` of head's proto module against base's, both read from git. */
/** The buf binary the repository installs (@bufbuild/buf), from source or from dist alike. */
export const BUF = fileURLToPath(new URL('../../../node_modules/.bin/buf', import.meta.url));

export function protoBreaking(root: string, base: string, head: string, buf = BUF): ProtoCheck {
  const hasModule = (ref: string) =>
    git(root, ['ls-tree', '--name-only', ref, '--', 'proto/buf.yaml']).trim() !== '';
  if (!hasModule(base)) return { ran: false, breaking: false, output: 'base has no proto module' };
  const result = spawnSync(
    buf,
    [
      'breaking',
      `${join(root, '.git')}#ref=${head},subdir=proto`,
      '--against',
      `${join(root, '.git')}#ref=${base},subdir=proto`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.error) return { ran: false, breaking: false, output: result.error.message };
  return { ran: true, breaking: result.status !== 0, output: `${result.stdout}${result.stderr}` };
}
