import { EventEmitter } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PLATFORM_SECRETS,
  createHttpService,
  createLogger,
  createMetrics,
  loadConfig,
  type RoleDefinition,
} from '@origo/kit';
import { controlConfigSchema, settingsFromEnv } from '@origo/control';
import { ENTRY_ROLES, parseArgs, publicUrlOf, runLauncher, stopOrder } from '../src/launcher.js';

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

/**
 * Stands in for the gateway (listens on PORT at 127.0.0.1, as `npm start` does) and reads the public URL
 * the way control does for invite and join links.
 */
function entryRole(seen: { linksUse?: string }): RoleDefinition {
  return {
    name: 'entry',
    description: 'test role',
    async start(ctx) {
      seen.linksUse = settingsFromEnv(loadConfig(controlConfigSchema, ctx.env)).publicUrl;
      const http = createHttpService({
        service: 'entry',
        logger: createLogger({ service: 'entry', level: 'silent' }),
        metrics: createMetrics('entry', { defaultMetrics: false }),
      });
      const { url } = await http.listen(Number(ctx.env['PORT']), '127.0.0.1');
      return { name: 'entry', endpoints: { url }, stop: () => http.close() };
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

async function startEntry(env: Record<string, string>) {
  dataDir = await mkdtemp(join(tmpdir(), 'origo-launcher-'));
  const seen: { linksUse?: string } = {};
  const lines: string[] = [];
  const signals = new EventEmitter();
  let exited!: (code: number) => void;
  const done = new Promise<number>((resolve) => (exited = resolve));
  await runLauncher({
    argv: ['start'],
    env: { ORIGO_DATA: dataDir, LOG_LEVEL: 'silent', ...env },
    roles: [entryRole(seen)],
    signals,
    exit: exited,
    out: (line) => lines.push(line),
  });
  const open = /^Open (\S+) in your browser/.exec(lines.find((l) => l.startsWith('Open ')) ?? '')?.[1];
  return {
    open,
    lines,
    linksUse: seen.linksUse,
    stop: async () => {
      signals.emit('SIGTERM');
      return done;
    },
  };
}

describe('the address npm start prints', () => {
  it('is the origin of the links the app hands out, and it answers', async () => {
    const port = await freePort();
    const started = await startEntry({ PORT: String(port) });
    try {
      expect(started.open).toBe(`http://localhost:${port}`);
      expect(started.linksUse).toBe(started.open);
      expect(started.lines.some((l) => l.startsWith('Links in the app'))).toBe(false);
      // The entry's own line offers the same address, never the 127.0.0.1 it listens on.
      expect(started.lines).toContain(`  entry        url      http://localhost:${port}`);
      expect(started.lines.join('\n')).not.toContain('127.0.0.1');
      expect((await fetch(`${started.open}/health/live`)).status).toBe(200);
    } finally {
      expect(await started.stop()).toBe(0);
    }
  });

  it('is http://localhost:8080 with nothing set, as the services default to', () => {
    expect(publicUrlOf({}, true)).toBe('http://localhost:8080');
    expect(settingsFromEnv(loadConfig(controlConfigSchema, {})).publicUrl).toBe('http://localhost:8080');
    // One role per process: each service reads ORIGO_PUBLIC_URL itself; the launcher adds nothing.
    expect(publicUrlOf({ PORT: '9000' }, false)).toBeUndefined();
  });

  it('is ORIGO_PUBLIC_URL when set, and the links follow it', async () => {
    const port = await freePort();
    const started = await startEntry({
      PORT: String(port),
      ORIGO_PUBLIC_URL: `http://127.0.0.1:${port}/`,
    });
    try {
      expect(started.open).toBe(`http://127.0.0.1:${port}`);
      expect(started.linksUse).toBe(started.open);
    } finally {
      expect(await started.stop()).toBe(0);
    }
  });

  it('says where links point when the entry listens elsewhere (PORT=0)', async () => {
    const started = await startEntry({ PORT: '0' });
    try {
      expect(started.open).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.lines).toContain(
        'Links in the app point to http://localhost:8080: set ORIGO_PUBLIC_URL to the address you open.',
      );
    } finally {
      expect(await started.stop()).toBe(0);
    }
  });
});

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
    expect(parseArgs(['start', '--help'], ['sfu'])).toEqual({ command: 'help', roles: undefined });
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

  it('takes a signal repeated at once (terminal plus npm) as one request to stop', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'origo-launcher-'));
    const { role } = slowRole([]);
    const signals = new EventEmitter();
    const codes: number[] = [];
    const lines: string[] = [];
    const exited = new Promise<void>((resolve) => {
      void runLauncher({
        argv: ['start'],
        env: { ORIGO_DATA: dataDir, LOG_LEVEL: 'silent' },
        roles: [role],
        signals,
        exit: (c) => {
          codes.push(c);
          resolve();
        },
        out: (line) => lines.push(line),
      });
    });
    await expect.poll(() => lines.find((l) => l.startsWith('Open ')), { timeout: 20_000 }).toBeTruthy();
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    await exited;
    expect(codes).toEqual([0]);
  });

  it('stops roles in reverse start order with the gateway last', () => {
    const named = (name: string) => ({ name, endpoints: {}, stop: async () => undefined });
    const started = ['auth', 'sfu', 'signaling', 'gateway'].map(named);
    expect(stopOrder(started, ENTRY_ROLES).map((r) => r.name)).toEqual([
      'signaling',
      'sfu',
      'auth',
      'gateway',
    ]);
  });
});
