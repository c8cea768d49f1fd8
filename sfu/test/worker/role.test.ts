// The sfu role as the launcher runs it: forked worker processes from the build, their addresses in the
// AddressBook (and the shared registry with REDIS_URL), restart of a crashed worker, stop in budget.
import { execFileSync } from 'node:child_process';
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
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { sfuRole, SFU_WORKER_KEY_PREFIX, workerEntryPath } from '../../src/index.js';

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

describe('sfu role in-process (SFU_WORKERS=0)', () => {
  it('runs one worker in this process and publishes it', async () => {
    const { book } = await start({ SFU_WORKERS: '0', SFU_NODE_ID: 'inproc' });
    const address = book.get('sfu.workers')!;
    expect(await workerIdAt(address)).toBe('inproc-w0');
  });
});
