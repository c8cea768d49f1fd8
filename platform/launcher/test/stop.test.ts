// Stopping Origo the ways people and supervisors do: SIGTERM to `origo start`, Ctrl+C (SIGINT to the
// whole process group), SIGTERM to `npm start`'s own process, and SIGKILL of the launcher. Every
// descendant process must be gone afterwards, and clients connected through the gateway must hear
// signaling's reconnect notice before their socket closes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PLATFORM_SECRETS } from '@origo/kit';
import { signJoinToken } from '@origo/signaling';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const repoRoot = resolve(here, '..', '..', '..');
const STARTUP_MS = 240_000;
const GONE_MS = 30_000;

/** Parent pid of every process, from /proc (Linux). */
function parents(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), Number(fields[1]));
    } catch {
      // Exited while we looked.
    }
  }
  return table;
}

function descendants(root: number): number[] {
  const table = parents();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const [child, parent] of table) {
      if (parent === pid) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Running: it exists and is not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

interface Launched {
  child: ChildProcess;
  dataDir: string;
  output: () => string;
  /** Every pid seen under the launched process, so that cleanup finds orphans too. */
  seen: Set<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for `pattern` in the output and returns its first group. */
  waitFor(pattern: RegExp): Promise<string>;
}

const launched: Launched[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const l of launched.splice(0)) {
    const left = l.child.pid ? descendants(l.child.pid) : [];
    for (const pid of new Set([...l.seen, ...left, l.child.pid ?? 0])) {
      if (pid > 0 && running(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(l.dataDir, { recursive: true, force: true });
  }
});

async function launch(command: string, args: string[], env: Record<string, string> = {}): Promise<Launched> {
  const dataDir = await mkdtemp(join(tmpdir(), 'origo-stop-'));
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? tmpdir(),
      ORIGO_DATA: dataDir,
      PORT: '0',
      SIGNALING_PORT: '0',
      SFU_WORKERS: '2',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that the test can signal the group the way a terminal does.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const l: Launched = {
    child,
    dataDir,
    output: () => output,
    seen: new Set(),
    exited,
    async waitFor(pattern) {
      await expect
        .poll(() => pattern.exec(output)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined), {
          timeout: STARTUP_MS,
          interval: 100,
        })
        .toBeTruthy();
      const found = pattern.exec(output)?.[1];
      if (found === undefined) throw new Error(`exited before ${String(pattern)}:\n${output}`);
      return found;
    },
  };
  launched.push(l);
  return l;
}

/** The pids under the launched process once both SFU workers run. */
async function processTree(l: Launched): Promise<number[]> {
  const root = l.child.pid!;
  await expect
    .poll(() => descendants(root).filter((pid) => commandOf(pid).includes('worker/main.js')).length, {
      timeout: STARTUP_MS,
      interval: 100,
    })
    .toBe(2);
  const tree = descendants(root);
  for (const pid of tree) l.seen.add(pid);
  return tree;
}

async function expectAllGone(pids: number[]): Promise<void> {
  await expect
    .poll(() => pids.filter(running).map((pid) => `${pid} ${commandOf(pid)}`), {
      timeout: GONE_MS,
      interval: 100,
    })
    .toEqual([]);
}

function openSocket(url: string, origin: string): Promise<WebSocket> {
  return new Promise((done, fail) => {
    const socket = new WebSocket(url, { headers: { origin } });
    sockets.push(socket);
    socket.once('open', () => done(socket));
    socket.once('error', fail);
  });
}

/** Rejects after GONE_MS: a notice that never comes fails the test with a reason, not a timeout. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), GONE_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        done(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        fail(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((done) =>
    socket.once('close', (code, reason) => done({ code, reason: reason.toString() })),
  );
}

function nextMessage(socket: WebSocket, match: (m: Record<string, unknown>) => boolean) {
  const seen: Array<Record<string, unknown>> = [];
  return {
    seen,
    message: new Promise<Record<string, unknown>>((done) => {
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as Record<string, unknown>;
        seen.push(message);
        if (match(message)) done(message);
      });
    }),
  };
}

describe('stopping origo start (built, all roles)', () => {
  it('on SIGTERM tells clients joined through the gateway to reconnect, then exits with every child', async () => {
    const l = await launch(process.execPath, [bin, 'start']);
    const url = await l.waitFor(/Open (\S+) in your browser/);
    const pid = l.child.pid!;
    const tree = await processTree(l);
    const wsUrl = `${url.replace(/^http/, 'ws')}/ws`;

    const token = await signJoinToken({
      privateJwk: await readFile(join(l.dataDir, 'secrets', PLATFORM_SECRETS.joinTokenKey.name), 'utf8'),
      identity: 'alice',
      room: 'stop-room',
      grants: { publish: true, subscribe: true, host: false },
    });
    const alice = await openSocket(wsUrl, url);
    const joined = nextMessage(alice, (m) => m['requestId'] === 'j1');
    alice.send(JSON.stringify({ requestId: 'j1', join: { token } }));
    expect(Object.keys(await joined.message)).toContain('joinResponse');

    // A message far above the limit: refused with 1009 at the gateway, the server unaffected.
    const big = await openSocket(wsUrl, url);
    const bigClosed = closeOf(big);
    big.send('x'.repeat(1024 * 1024));
    expect((await within(bigClosed, 'the close of the oversized message')).code).toBe(1009);

    const leave = nextMessage(alice, (m) => 'leave' in m);
    const aliceClosed = closeOf(alice);
    process.kill(pid, 'SIGTERM');
    expect((await within(leave.message, 'the leave notice'))['leave']).toEqual({
      reason: 'DISCONNECT_REASON_SERVER_SHUTDOWN',
      action: 'LEAVE_ACTION_RECONNECT',
    });
    expect((await within(aliceClosed, 'the close of the joined socket')).code).toBe(1001);
    expect(await l.exited).toEqual({ code: 0, signal: null });
    await expectAllGone(tree);
    expect(l.output()).not.toContain('sfu worker died');
  }, 300_000);

  it('on Ctrl+C (SIGINT to the process group) exits 0 with every child, no worker restarted', async () => {
    const l = await launch(process.execPath, [bin, 'start']);
    await l.waitFor(/Open (\S+) in your browser/);
    const pid = l.child.pid!;
    const tree = await processTree(l);
    process.kill(-pid, 'SIGINT');
    expect(await l.exited).toEqual({ code: 0, signal: null });
    await expectAllGone(tree);
    expect(l.output()).not.toContain('sfu worker died');
    expect(l.output()).not.toContain('second signal');
  }, 300_000);

  it('when the launcher is killed (SIGKILL), its SFU workers exit by themselves', async () => {
    const l = await launch(process.execPath, [bin, 'start', '--role=sfu']);
    await l.waitFor(/(Origo is running)/);
    const pid = l.child.pid!;
    const tree = await processTree(l);
    process.kill(pid, 'SIGKILL');
    expect(await l.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await expectAllGone(tree);
  }, 300_000);
});

describe('stopping npm start', () => {
  // A supervisor signals npm's own process; Ctrl+C signals the terminal's whole process group, so the
  // launcher gets SIGINT from the terminal and once more from npm.
  it.each([
    ['SIGTERM to npm itself', 'SIGTERM', false],
    ['Ctrl+C (SIGINT to the process group)', 'SIGINT', true],
  ] as const)(
    'on %s, exits with every child',
    async (_how, signal, group) => {
      const l = await launch('npm', ['start', '--', '--role=sfu']);
      await l.waitFor(/(Origo is running)/);
      const pid = l.child.pid!;
      const tree = await processTree(l);
      process.kill(group ? -pid : pid, signal);
      await l.exited;
      await expectAllGone(tree);
      expect(l.output()).not.toContain('sfu worker died');
      // npm forwards the signal to the launcher as well: one request to stop, not "exit now".
      expect(l.output()).not.toContain('second signal');
    },
    300_000,
  );
});
