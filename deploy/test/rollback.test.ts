// deploy/scripts/rollback.sh against a stub `argocd` on PATH (a shell script that logs its arguments and
// prints the history ids it is given): usage, the refusal when there is nothing to go back to, the dry
// run, and the real sequence (sync off, roll back to the previous id, wait up to 30 minutes: the
// Rollouts' rollbackWindow skips the canary analyses), with the message for prod (manual sync).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIR } from './lib/paths.js';

const SCRIPT = join(DEPLOY_DIR, 'scripts', 'rollback.sh');

describe('rollback.sh', () => {
  let dir: string;
  let log: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'origo-rollback-'));
    log = join(dir, 'calls.log');
    const stub = join(dir, 'argocd');
    writeFileSync(
      stub,
      [
        '#!/bin/sh',
        `echo "$*" >> "${log}"`,
        'if [ "$1 $2" = "app history" ]; then',
        '  [ -n "${STUB_HISTORY_FAIL:-}" ] && { echo "rpc error: not logged in" >&2; exit 20; }',
        '  for id in $STUB_HISTORY; do echo "$id"; done',
        'fi',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(stub, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const rollback = (args: string[], history: string, extraEnv: Record<string, string> = {}) => {
    writeFileSync(log, '');
    const result = spawnSync('sh', [SCRIPT, ...args], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env['PATH'] ?? ''}`, STUB_HISTORY: history, ...extraEnv },
    });
    const calls = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  };

  it('prints its usage for --help and exits 0 without calling argocd', () => {
    const result = rollback(['--help'], '1 2');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage:');
    expect(result.stdout).toContain('--dry-run');
    expect(result.calls).toEqual([]);
  });

  it('refuses an unknown environment or argument with exit 2', () => {
    expect(rollback(['qa'], '1 2')).toMatchObject({ status: 2, calls: [] });
    expect(rollback([], '1 2')).toMatchObject({ status: 2, calls: [] });
    expect(rollback(['prod', '--force'], '1 2').stderr).toContain("unknown argument '--force'");
  });

  it('refuses when only the current revision is in the history: nothing to roll back to', () => {
    const result = rollback(['prod'], '7');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nothing to roll back to');
    expect(result.calls).toEqual(['app history origo-prod -o id']);
  });

  it('stops when argocd cannot read the history, without changing anything', () => {
    const result = rollback(['prod'], '', { STUB_HISTORY_FAIL: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('argocd app history origo-prod failed');
    expect(result.calls).toEqual(['app history origo-prod -o id']);
  });

  it('in a dry run prints the commands and "dry run: nothing changed", and changes nothing', () => {
    for (const args of [
      ['staging', '--dry-run'],
      ['--dry-run', 'staging'],
    ]) {
      const result = rollback(args, '3 4 5');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('would run: argocd app set origo-staging --sync-policy none');
      expect(result.stdout).toContain('would run: argocd app rollback origo-staging 4');
      expect(result.stdout).toContain('dry run: nothing changed');
      expect(result.stdout).not.toContain('done');
      expect(result.calls).toEqual(['app history origo-staging -o id']);
    }
  });

  it('turns sync off, rolls back to the previous history id and waits for health', () => {
    const result = rollback(['prod'], '3 4 5');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('rolling origo-prod back from history id 5 to 4');
    expect(result.stdout).toContain('done: origo-prod runs history id 4');
    expect(result.calls).toEqual([
      'app history origo-prod -o id',
      'app set origo-prod --sync-policy none',
      'app rollback origo-prod 4',
      'app wait origo-prod --health --timeout 1800',
    ]);
    // prod has no automated sync to turn back on (deploy/argocd/prod.yaml).
    expect(result.stdout).toContain('prod syncs by hand');
    expect(result.stdout).not.toContain('--sync-policy automated');
  });

  it('tells dev and staging how to turn automated sync back on, and takes WAIT_TIMEOUT', () => {
    const result = rollback(['staging'], '3 4 5', { WAIT_TIMEOUT: '2400' });
    expect(result.status).toBe(0);
    expect(result.calls).toContain('app wait origo-staging --health --timeout 2400');
    expect(result.stdout).toContain(
      'argocd app set origo-staging --sync-policy automated --auto-prune --self-heal',
    );
    expect(rollback(['staging'], '3 4 5', { WAIT_TIMEOUT: '20m' })).toMatchObject({ status: 2, calls: [] });
  });

  it('documents WAIT_TIMEOUT, and that --dry-run needs a logged-in argocd too (it reads the history)', () => {
    const help = rollback(['--help'], '');
    expect(help.stdout).toContain('WAIT_TIMEOUT');
    expect(help.stdout).toMatch(/dry-run[\s\S]*logged in/);
  });
});
