// Issue 11: an SFU worker killed (SIGKILL) late in a meeting, when every first join token has expired. The
// sfu role restarts the worker, signaling notices the lost router and tells its clients to reconnect, and
// the clients join again with the latest token signaling pushed them (token_refresh), as the web client
// does, and have media both ways again. Join tokens live 30 s here; the kill comes 40 s into the meeting.
// The time from the kill to frames flowing both ways is printed (WORKER_KILL_ROUNDS=n repeats the kill on
// the same meeting to collect the recovery figure; the first kill always comes after the tokens expired).
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { grpcRoomEventReporter } from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { forkedSfu, logger, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer, waitMediaBothWays } from './helpers/mediaPeer.js';
import { startRenewingControl } from './helpers/renewingControl.js';

const TOKEN_TTL_S = 30;
const KILL_AFTER_MS = Number(process.env['KILL_AFTER_MS'] ?? 40_000);
const DEADLINE = 45_000;
const ROUNDS = Math.max(1, Number(process.env['WORKER_KILL_ROUNDS'] ?? '1') || 1);

let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function workerPid(address: string): Promise<{ pid: number; rooms: string[] }> {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    const stats = await unary(client.getStats.bind(client), {});
    const [, port] = address.split(':');
    // The worker's gRPC port is its own: the process listening on it is the worker to kill.
    return { pid: await pidListening(Number(port)), rooms: stats.routers.map((r) => r.roomId) };
  } finally {
    client.close();
  }
}

/** The pid of the process with a TCP socket listening on 127.0.0.1:port (from /proc, Linux). */
async function pidListening(port: number): Promise<number> {
  const { readFile, readdir, readlink } = await import('node:fs/promises');
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is col 1 (ADDR:PORT), st is col 3 (0A = LISTEN), inode is col 9.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) return Number(pid);
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

interface Participant {
  identity: string;
  signal: SignalClient;
  peer: MediaPeer;
  /** The newest token signaling handed this participant (the first, then each token_refresh). */
  token: string;
  firstToken: string;
}

describe.skipIf(process.platform !== 'linux')('an SFU worker killed after the join tokens expired', () => {
  it(
    'the role restarts it and the clients rejoin with their renewed tokens and have media again',
    async () => {
      const key: { jwk?: string } = {};
      const control = await startRenewingControl(() => key.jwk!, TOKEN_TTL_S);
      cleanup.push(() => control.stop());
      const sfu = await forkedSfu(2, { SFU_TRANSPORT: process.env['SFU_TRANSPORT'] || 'werift' });
      cleanup.push(() => sfu.stop());
      const stack: Stack = await startStack({
        sfu,
        reporter: grpcRoomEventReporter(() => control.address, logger),
      });
      cleanup.push(() => stack.close());
      key.jwk = stack.jwk;
      const room = `worker-kill-${process.pid}`;

      const enter = async (identity: string, token: string, previous?: Participant): Promise<Participant> => {
        const signal = await SignalClient.open(stack.nodes[0]!.wsUrl);
        const peer = new MediaPeer(signal);
        cleanup.push(
          () => peer.close(),
          () => signal.close(),
        );
        const p: Participant = { identity, signal, peer, token, firstToken: previous?.firstToken ?? token };
        signal.onMessage((m) => {
          const refresh = m['tokenRefresh'] as Json | undefined;
          if (typeof refresh?.['token'] === 'string') p.token = refresh['token'];
        });
        cleanup.push(signal.keepAlive());
        await peer.join(token);
        await peer.publish({ simulcast: false });
        return p;
      };
      const mediaBothWays = (x: Participant, y: Participant, what: string) =>
        waitMediaBothWays(x.peer, y.peer, what, { timeoutMs: DEADLINE });

      const startedAt = Date.now();
      let alice = await enter('alice', await stack.token('alice', { room, ttlSeconds: TOKEN_TTL_S }));
      let bob = await enter('bob', await stack.token('bob', { room, ttlSeconds: TOKEN_TTL_S }));
      await mediaBothWays(alice, bob, 'media both ways before the kill');
      // The meeting runs past the first tokens' lifetime (and the verifier's clock tolerance).
      await waitFor(() => Date.now() - startedAt >= KILL_AFTER_MS, {
        timeoutMs: KILL_AFTER_MS + DEADLINE,
        intervalMs: 250,
        what: 'the meeting to run 40 s',
      });
      const firstExp = (
        JSON.parse(Buffer.from(alice.firstToken.split('.')[1]!, 'base64url').toString()) as {
          exp: number;
        }
      ).exp;
      expect(firstExp * 1000).toBeLessThan(Date.now() - 5000);
      expect(alice.token).not.toBe(alice.firstToken);
      expect(bob.token).not.toBe(bob.firstToken);

      const figures: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const holders = await Promise.all(sfu.addresses().map(workerPid));
        const holder = holders.find((h) => h.rooms.includes(room));
        expect(holder, `a worker holds ${room}: ${JSON.stringify(holders)}`).toBeDefined();
        const addressesBefore = sfu.addresses();

        const killedAt = Date.now();
        process.kill(holder!.pid, 'SIGKILL');
        const reconnect = (m: Json): boolean =>
          (m['leave'] as Json | undefined)?.['action'] === 'LEAVE_ACTION_RECONNECT';
        await Promise.all([
          alice.signal.waitNew(reconnect, DEADLINE, 'reconnect notice for alice'),
          bob.signal.waitNew(reconnect, DEADLINE, 'reconnect notice for bob'),
        ]);
        alice.peer.close();
        bob.peer.close();
        [alice, bob] = await Promise.all([enter('alice', alice.token, alice), enter('bob', bob.token, bob)]);
        await mediaBothWays(alice, bob, `media both ways after kill ${round + 1}`);
        figures.push(Date.now() - killedAt);

        // The role forked a replacement worker and published its address.
        await waitFor(
          () => {
            const now = sfu.addresses();
            return now.length === 2 && now.some((a) => !addressesBefore.includes(a)) ? now : undefined;
          },
          { timeoutMs: DEADLINE, what: 'the replacement worker' },
        );
      }
      expect(control.renewals.length).toBeGreaterThanOrEqual(2);
      const sorted = [...figures].sort((a, b) => a - b);
      const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
      process.stdout.write(
        `worker-kill: media both ways again after SIGKILL, ms: ${figures.join(', ')} (p95 ${p95})\n`,
      );
    },
    300_000 + ROUNDS * 60_000,
  );
});
