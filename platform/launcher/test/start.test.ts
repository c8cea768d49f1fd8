import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '@origo/kit/testing';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

/**
 * The way a new user runs Origo: the built `origo start`, every role with the embedded defaults, then
 * Ctrl+C. Proves each role answers readiness and metrics and that shutdown is clean.
 */
describe('origo start (built, all roles)', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;
  let output = '';

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts every role, serves health and metrics on each, and exits 0 on SIGTERM', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'origo-start-'));
    child = spawn(process.execPath, [bin, 'start'], {
      env: {
        PATH: process.env['PATH'],
        ORIGO_DATA: dataDir,
        PORT: '0',
        SIGNALING_PORT: '0',
        SFU_WORKERS: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));

    await expect
      .poll(() => /Open (\S+) in your browser/.exec(output)?.[1], { timeout: 240_000, interval: 100 })
      .toBeTruthy();
    const url = /Open (\S+) in your browser/.exec(output)?.[1] ?? '';
    for (const role of [
      'notification',
      'auth',
      'control',
      'chat',
      'sfu',
      'signaling',
      'recording',
      'billing',
      'gateway',
    ]) {
      expect(output, `role ${role} listed`).toMatch(new RegExp(`^\\s+${role}\\s`, 'm'));
    }

    // Every HTTP listener the launcher printed answers readiness and valid Prometheus text.
    const bases = new Set<string>();
    for (const match of output.matchAll(/^\s+\S+\s+(?:http|metrics)\s+(\S+)$/gm)) {
      for (const address of (match[1] ?? '').split(',')) bases.add(address.replace(/\/metrics$/, ''));
    }
    expect(bases.size).toBeGreaterThanOrEqual(6);
    for (const base of bases) {
      // Readiness is polled, as an orchestrator does: on a loaded 2-core machine a role's first database
      // ping can outlast the check's 2 s budget. The last answer's checks say which one when it never does.
      let last = '';
      await expect
        .poll(
          async () => {
            const ready = await fetch(`${base}/health/ready`);
            last = await ready.text();
            return ready.status;
          },
          { timeout: 60_000, interval: 250, message: `${base}/health/ready` },
        )
        .toBe(200)
        .catch((err: unknown) => {
          throw new Error(`${base}/health/ready never answered 200; last answer: ${last}`, { cause: err });
        });
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status, `${base}/metrics`).toBe(200);
      const { samples } = parsePrometheusText(await metrics.text());
      expect(samples.length, `${base}/metrics samples`).toBeGreaterThan(0);
    }

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');

    const secret = await stat(join(dataDir, 'secrets', 'join-token-key.jwk'));
    expect(secret.mode & 0o777).toBe(0o600);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});
