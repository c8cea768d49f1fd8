import { EventEmitter } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PLATFORM_SECRETS,
  createHttpService,
  createLogger,
  createMetrics,
  type RoleDefinition,
} from '@origo/kit';
import { parseArgs, runLauncher } from '../src/launcher.js';

let dataDir: string | undefined;
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** A role with a real HTTP listener and a handler that waits until the test releases it. */
function slowRole(started: string[]): { role: RoleDefinition; release: () => void; entered: Promise<void> } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let markEntered!: () => void;
  const entered = new Promise<void>((resolve) => (markEntered = resolve));
  const role: RoleDefinition = {
    name: 'slow',
    description: 'test role',
    async start(ctx) {
      started.push('slow');
      const secret = await ctx.secrets.get(PLATFORM_SECRETS.turnSecret);
      const http = createHttpService({
        service: 'slow',
        logger: createLogger({ service: 'slow', level: 'silent' }),
        metrics: createMetrics('slow', { defaultMetrics: false }),
      });
      http.app.get('/slow', async () => {
        markEntered();
        await released;
        return { secretLength: secret.length };
      });
      const { url } = await http.listen(0);
      return { name: 'slow', endpoints: { url }, drain: () => http.setDraining(), stop: () => http.close() };
    },
  };
  return { role, release, entered };
}

describe('origo launcher', () => {
  it('parses roles and rejects unknown ones', () => {
    expect(parseArgs(['start'], ['sfu'])).toEqual({ command: 'start', roles: undefined });
    expect(parseArgs(['start', '--role=sfu'], ['sfu', 'auth'])).toEqual({ command: 'start', roles: ['sfu'] });
    expect(parseArgs(['start', '--role', 'sfu,auth'], ['sfu', 'auth'])).toEqual({
      command: 'start',
      roles: ['sfu', 'auth'],
    });
    expect(() => parseArgs(['start', '--role=nope'], ['sfu'])).toThrow(
      'Unknown role "nope"; known roles: sfu',
    );
    expect(() => parseArgs(['serve'], ['sfu'])).toThrow('Unknown command "serve"');
  });

  it('stops with one line naming a bad config variable', async () => {
    const errors: string[] = [];
    let code: number | undefined;
    await runLauncher({
      argv: ['start'],
      env: { LOG_LEVEL: 'chatty' },
      roles: [],
      exit: (c) => (code = c),
      err: (line) => errors.push(line),
      out: () => undefined,
      signals: new EventEmitter(),
    });
    expect(code).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Invalid configuration: LOG_LEVEL is invalid/);
  });

  it('starts roles, prints the URL, generates secrets 0600, and on SIGTERM lets a request in flight finish', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'origo-launcher-'));
    const started: string[] = [];
    const { role, release, entered } = slowRole(started);
    const signals = new EventEmitter();
    const lines: string[] = [];
    let exitCode: number | undefined;
    const exited = new Promise<number>((resolve) => {
      void runLauncher({
        argv: ['start'],
        env: { ORIGO_DATA: dataDir, LOG_LEVEL: 'silent' },
        roles: [role],
        signals,
        exit: (c) => {
          exitCode = c;
          resolve(c);
        },
        out: (line) => lines.push(line),
      });
    });
    await expect.poll(() => lines.find((l) => l.startsWith('Open ')), { timeout: 20_000 }).toBeTruthy();
    const url = /Open (\S+) /.exec(lines.find((l) => l.startsWith('Open ')) ?? '')?.[1];
    expect(started).toEqual(['slow']);

    const secretFile = await stat(join(dataDir, 'secrets', PLATFORM_SECRETS.turnSecret.name));
    expect(secretFile.mode & 0o777).toBe(0o600);

    const inFlight = fetch(`${url}/slow`);
    await entered;
    signals.emit('SIGTERM');
    expect(exitCode).toBeUndefined();
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ secretLength: 43 });
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
