// The sfu role as the launcher runs it: forked worker processes from the build, their addresses in the
// AddressBook (and the shared registry with REDIS_URL), restart of a crashed worker, stop in budget,
// and one ICE UDP port per worker on the ndc transport.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressBook,
  createGrpcClient,
  createLogger,
  SecretStore,
  unary,
  type RunningRole,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { captureLogs, retainUntilExit, waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { SFU_WORKER_KEY_PREFIX } from '@origo/kit';
import { sfuRole, startSfuRole, workerEntryPath } from '../../src/index.js';
import { wrtc } from '../media/wrtcClient.js';
import { EventFeed, grpcRouter } from './grpcPeer.js';

const logger = createLogger({ service: 'sfu-role-test', level: 'silent' });
const variants: Array<{ name: string; redisUrl?: string }> = [{ name: 'single machine' }];
if (process.env['REDIS_URL'])
  variants.push({ name: 'with Redis registry', redisUrl: process.env['REDIS_URL'] });

let running: RunningRole | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function start(
  env: Record<string, string>,
  redisUrl?: string,
): Promise<{ role: RunningRole; book: AddressBook }> {
  dataDir = mkdtempSync(join(tmpdir(), 'origo-sfu-role-'));
  const book = new AddressBook();
  const role = await sfuRole.start({
    common: { ORIGO_DATA: dataDir, LOG_LEVEL: 'warn', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
    env: { ...env, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
    allInOne: false,
    addresses: book,
    secrets: new SecretStore(dataDir, {}),
    logger,
  });
  running = role;
  return { role, book };
}

async function workerIdAt(address: string): Promise<string> {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    return (await unary(client.getLoad.bind(client), {}, { deadlineMs: 2000 })).workers[0]!.workerId;
  } finally {
    client.close();
  }
}

function childPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

describe.each(variants)('sfu role ($name)', ({ redisUrl }) => {
  it('forks the workers, publishes their addresses, restarts a crashed one and stops them all', async () => {
    expect(existsSync(workerEntryPath())).toBe(true);
    const before = new Set(childPids());
    const { role, book } = await start(
      { SFU_WORKERS: '2', SFU_NODE_ID: `role-test-${process.pid}`, SFU_REGISTRY_TTL_MS: '3000' },
      redisUrl,
    );
    const addresses = book.get('sfu.workers')!.split(',');
    expect(addresses).toHaveLength(2);
    expect(role.endpoints['grpc']).toBe(addresses.join(','));
    const ids = await Promise.all(addresses.map(workerIdAt));
    expect(new Set(ids)).toEqual(new Set([`role-test-${process.pid}-w0`, `role-test-${process.pid}-w1`]));

    const busKv = redisUrl ? await createBusKv({ redisUrl }) : undefined;
    try {
      if (busKv) {
        const keys = await busKv.kv.scanPrefix(SFU_WORKER_KEY_PREFIX);
        expect(keys.filter((k) => k.includes(`role-test-${process.pid}`))).toHaveLength(2);
      }

      // Crash one worker: the role forks a replacement and publishes its new address.
      const children = childPids().filter((pid) => !before.has(pid));
      expect(children.length).toBeGreaterThanOrEqual(2);
      process.kill(children[0]!, 'SIGKILL');
      await waitFor(
        () => {
          const now = (book.get('sfu.workers') ?? '').split(',').filter((a) => a !== '');
          return now.length === 2 && now.some((a) => !addresses.includes(a)) ? now : undefined;
        },
        { timeoutMs: 20_000, what: 'replacement worker address' },
      );
      const now = book.get('sfu.workers')!.split(',');
      expect(new Set(await Promise.all(now.map(workerIdAt)))).toEqual(new Set(ids));

      const started = Date.now();
      await role.stop();
      running = undefined;
      expect(Date.now() - started).toBeLessThan(10_000);
      await waitFor(() => childPids().every((pid) => before.has(pid)), {
        timeoutMs: 5000,
        what: 'worker processes gone',
      });
      if (busKv) {
        const keys = await busKv.kv.scanPrefix(SFU_WORKER_KEY_PREFIX);
        expect(keys.filter((k) => k.includes(`role-test-${process.pid}`))).toEqual([]);
      }
    } finally {
      await busKv?.close();
    }
  });
});

describe('sfu role at shutdown', () => {
  /** The role with forked workers and its log lines. */
  async function startLogged(nodeId: string) {
    dataDir = mkdtempSync(join(tmpdir(), 'origo-sfu-role-'));
    const logs = captureLogs();
    const book = new AddressBook();
    const before = new Set(childPids());
    const role = await startSfuRole(
      {
        common: { ORIGO_DATA: dataDir, LOG_LEVEL: 'info' },
        env: { SFU_WORKERS: '2', SFU_NODE_ID: nodeId },
        allInOne: false,
        addresses: book,
        secrets: new SecretStore(dataDir, {}),
        logger,
      },
      createLogger({ service: 'sfu', level: 'info', destination: logs.destination }),
    );
    running = role;
    const workers = childPids().filter((pid) => !before.has(pid));
    expect(workers).toHaveLength(2);
    const messages = () => logs.lines().map((l) => `${String(l['level'])} ${String(l['msg'])}`);
    return { role, book, workers, before, messages };
  }

  it('keeps workers that get Ctrl+C (SIGINT to the process group) until the role stops them', async () => {
    const { role, book, workers, before, messages } = await startLogged(`sigint-${process.pid}`);
    const addresses = book.get('sfu.workers')!;
    for (const pid of workers) process.kill(pid, 'SIGINT');
    await waitFor(
      () => messages().filter((m) => m.endsWith('got a stop signal; it stops with the role')).length === 2,
      { timeoutMs: 20_000, what: 'both workers to report the signal' },
    );
    // Still serving: the launcher stops the roles in order and this one last of the media plane.
    expect(book.get('sfu.workers')).toBe(addresses);
    for (const address of addresses.split(',')) expect(await workerIdAt(address)).toMatch(/^sigint-/);
    role.drain?.();
    await role.stop();
    running = undefined;
    await waitFor(() => childPids().every((pid) => before.has(pid)), {
      timeoutMs: 10_000,
      what: 'worker processes gone',
    });
    expect(messages().filter((m) => m.includes('died'))).toEqual([]);
  });

  it('does not restart (or report dead) a worker that exits once the node is stopping', async () => {
    const { role, workers, messages } = await startLogged(`drain-${process.pid}`);
    role.drain?.();
    process.kill(workers[0]!, 'SIGKILL');
    await waitFor(() => messages().some((m) => /sfu worker (exited|died)/.test(m)), {
      timeoutMs: 20_000,
      what: 'the worker exit to be seen',
    });
    expect(messages().filter((m) => /sfu worker (exited|died)/.test(m))).toEqual(['info sfu worker exited']);
    await role.stop();
    running = undefined;
    expect(messages().filter((m) => m.includes('sfu worker ready'))).toHaveLength(2);
  });
});

describe('sfu role in-process (SFU_WORKERS=0)', () => {
  it('runs one worker in this process and publishes it', async () => {
    const { book } = await start({ SFU_WORKERS: '0', SFU_NODE_ID: 'inproc' });
    const address = book.get('sfu.workers')!;
    expect(await workerIdAt(address)).toBe('inproc-w0');
  });
});

/** Two consecutive free UDP ports (checked by binding both, then released). */
async function freeUdpPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const sockets = [createSocket('udp4'), createSocket('udp4')];
    const ok = await Promise.all(
      sockets.map(
        (s, i) =>
          new Promise<boolean>((resolve) => {
            s.once('error', () => resolve(false));
            s.bind(base + i, () => resolve(true));
          }),
      ),
    );
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no two consecutive free UDP ports found');
}

describe('sfu role on the ndc transport', () => {
  it('gives worker i the ICE port SFU_UDP_PORT + i for all of its peers', async () => {
    const base = await freeUdpPair();
    const { book } = await start({
      SFU_WORKERS: '2',
      SFU_NODE_ID: `udp-test-${process.pid}`,
      SFU_TRANSPORT: 'ndc',
      SFU_UDP_PORT: String(base),
    });
    const byWorker = new Map<string, Set<number>>();
    for (const address of book.get('sfu.workers')!.split(',')) {
      const client = createGrpcClient(SfuServiceClient, address);
      const feed = new EventFeed(client);
      const pcs: { close(): void }[] = [];
      try {
        await feed.ready;
        await unary(client.createRouter.bind(client), { roomId: 'udp' });
        const ports = new Set<number>();
        for (const id of ['a', 'b']) {
          const pc = new wrtc.RTCPeerConnection();
          pcs.push(pc);
          const source = new wrtc.nonstandard.RTCAudioSource();
          const track = source.createTrack();
          retainUntilExit(pc, source, track);
          pc.addTransceiver(track, { direction: 'sendonly' });
          const offer = await pc.createOffer();
          const answer = await grpcRouter(client, 'udp', feed).createPeer(id).handlePublisherOffer(offer.sdp);
          for (const m of answer.matchAll(/^a=candidate:\S+ \d+ \S+ \d+ \S+ (\d+) typ host/gm))
            ports.add(Number(m[1]));
        }
        byWorker.set(await workerIdAt(address), ports);
      } finally {
        for (const pc of pcs) pc.close();
        feed.close();
        client.close();
      }
    }
    expect(byWorker.get(`udp-test-${process.pid}-w0`)).toEqual(new Set([base]));
    expect(byWorker.get(`udp-test-${process.pid}-w1`)).toEqual(new Set([base + 1]));
  });
});
