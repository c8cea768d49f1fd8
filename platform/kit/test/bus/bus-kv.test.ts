import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBusKv, InvalidStateError, type BusKv, type BusLogger } from '@origo/kit/bus';

const REDIS_URL = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL;
// Unique per run so parallel runs (and other installs) sharing a Redis never see these keys.
const NAMESPACE = `origo-test:${randomBytes(4).toString('hex')}:`;
// Generous: the machine may be loaded; these bound waiting, they do not measure speed.
const DEADLINE = { timeout: 15_000, interval: 20 };

interface Backend {
  name: 'memory' | 'redis';
  create(opts?: { logger?: BusLogger; namespace?: string }): Promise<BusKv>;
}

const backends: Backend[] = [
  { name: 'memory', create: (opts) => createBusKv({ namespace: NAMESPACE, ...opts }) },
  ...(REDIS_URL !== undefined
    ? [
        {
          name: 'redis' as const,
          create: (opts?: { logger?: BusLogger; namespace?: string }) =>
            createBusKv({ redisUrl: REDIS_URL, namespace: NAMESPACE, ...opts }),
        },
      ]
    : []),
];

function quietLogger() {
  return { warn: vi.fn<BusLogger['warn']>(), error: vi.fn<BusLogger['error']>() };
}

describe.each(backends)('bus and kv on $name', (backend) => {
  const opened: BusKv[] = [];
  let node: BusKv;
  let logger: ReturnType<typeof quietLogger>;
  let seq = 0;
  /** A key or channel name not used by any other test. */
  const unique = (label: string): string => `${label}:${++seq}`;

  async function open(opts?: { logger?: BusLogger; namespace?: string }): Promise<BusKv> {
    const created = await backend.create(opts);
    opened.push(created);
    return created;
  }

  beforeAll(async () => {
    logger = quietLogger();
    node = await open({ logger });
  });

  afterAll(async () => {
    // Remove every key this run wrote, then close every connection.
    const keys = await node.kv.scanPrefix('');
    for (const key of keys) await node.kv.del(key);
    for (const created of opened) await created.close();
  });

  it('reports its kind and answers ping', async () => {
    expect(node.kind).toBe(backend.name);
    expect(node.namespace).toBe(NAMESPACE);
    await expect(node.ping()).resolves.toBeUndefined();
  });

  it('delivers a message to every subscriber of the channel, and only that channel', async () => {
    const channel = unique('room');
    const other = unique('other');
    const first: unknown[] = [];
    const second: unknown[] = [];
    const elsewhere: unknown[] = [];
    await node.bus.subscribe(channel, (m) => void first.push(m));
    await node.bus.subscribe(channel, (m) => void second.push(m));
    await node.bus.subscribe(other, (m) => void elsewhere.push(m));

    const message = {
      type: 'joined',
      participant: 'p1',
      at: 1700000000000,
      tags: ['a', 'b'],
      nested: { ok: true },
    };
    await node.bus.publish(channel, message);
    await node.bus.publish(channel, 'second');
    await vi.waitFor(() => {
      expect(first).toEqual([message, 'second']);
      expect(second).toEqual([message, 'second']);
    }, DEADLINE);
    // Handlers get their own copies.
    expect(first[0]).not.toBe(second[0]);
    // A later message on `other` arriving proves the earlier ones were not routed there.
    await node.bus.publish(other, 'sentinel');
    await vi.waitFor(() => expect(elsewhere).toEqual(['sentinel']), DEADLINE);
  });

  it('stops delivering to a handler once it unsubscribes', async () => {
    const channel = unique('room');
    const gone: unknown[] = [];
    const kept: unknown[] = [];
    const unsubscribe = await node.bus.subscribe(channel, (m) => void gone.push(m));
    await node.bus.subscribe(channel, (m) => void kept.push(m));
    await node.bus.publish(channel, 1);
    await vi.waitFor(() => expect(gone).toEqual([1]), DEADLINE);

    await unsubscribe();
    await unsubscribe();
    await node.bus.publish(channel, 2);
    await vi.waitFor(() => expect(kept).toEqual([1, 2]), DEADLINE);
    expect(gone).toEqual([1]);
  });

  it('keeps delivering to other handlers when one throws or rejects, and logs the failure', async () => {
    const channel = unique('room');
    const received: unknown[] = [];
    await node.bus.subscribe(channel, () => {
      throw new Error('handler bug');
    });
    await node.bus.subscribe(channel, async () => {
      throw new Error('async handler bug');
    });
    await node.bus.subscribe(channel, (m) => void received.push(m));
    await node.bus.publish(channel, 'a');
    await node.bus.publish(channel, 'b');
    await vi.waitFor(() => {
      expect(received).toEqual(['a', 'b']);
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ channel, err: 'handler bug' }),
        'bus handler failed',
      );
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ channel, err: 'async handler bug' }),
        'bus handler failed',
      );
    }, DEADLINE);
  });

  it('rejects a message JSON cannot carry', async () => {
    await expect(node.bus.publish(unique('room'), undefined)).rejects.toThrow(TypeError);
    await expect(node.bus.publish(unique('room'), { n: 1n })).rejects.toThrow(TypeError);
  });

  it('sets, gets and deletes values; ifAbsent only writes a missing key', async () => {
    const key = unique('k');
    expect(await node.kv.get(key)).toBeNull();
    expect(await node.kv.set(key, 'one', { ifAbsent: true })).toBe(true);
    expect(await node.kv.set(key, 'two', { ifAbsent: true })).toBe(false);
    expect(await node.kv.get(key)).toBe('one');
    expect(await node.kv.set(key, 'three')).toBe(true);
    expect(await node.kv.get(key)).toBe('three');
    expect(await node.kv.del(key)).toBe(true);
    expect(await node.kv.del(key)).toBe(false);
    expect(await node.kv.set(key, 'four', { ifAbsent: true })).toBe(true);
  });

  it('expires keys after their TTL, and a plain set clears the TTL', async () => {
    const key = unique('ttl');
    expect(await node.kv.set(key, 'v', { ttlMs: 200 })).toBe(true);
    const left = await node.kv.ttl(key);
    expect(left).not.toBeNull();
    expect(left).toBeLessThanOrEqual(200);
    await vi.waitFor(async () => expect(await node.kv.get(key)).toBeNull(), DEADLINE);
    expect(await node.kv.ttl(key)).toBeNull();
    expect(await node.kv.scanPrefix(key)).toEqual([]);

    const kept = unique('ttl');
    await node.kv.set(kept, 'v', { ttlMs: 60_000 });
    await node.kv.set(kept, 'w');
    expect(await node.kv.ttl(kept)).toBeNull();
    expect(await node.kv.expire(kept, 150)).toBe(true);
    expect(await node.kv.expire(unique('missing'), 150)).toBe(false);
    await vi.waitFor(async () => expect(await node.kv.get(kept)).toBeNull(), DEADLINE);
  });

  it('sets the TTL of a counter when incr creates it, and not again', async () => {
    const key = unique('rate');
    expect(await node.kv.incr(key, { ttlMs: 60_000 })).toBe(1);
    // Had the TTL been re-applied, it would now be at most 100 ms.
    expect(await node.kv.incr(key, { ttlMs: 100 })).toBe(2);
    expect(await node.kv.ttl(key)).toBeGreaterThan(1_000);
    expect(await node.kv.incr(key)).toBe(3);

    const window = unique('rate');
    expect(await node.kv.incr(window, { ttlMs: 150 })).toBe(1);
    expect(await node.kv.incr(window, { ttlMs: 150 })).toBe(2);
    await vi.waitFor(async () => expect(await node.kv.get(window)).toBeNull(), DEADLINE);
    expect(await node.kv.incr(window, { ttlMs: 150 })).toBe(1);

    const text = unique('text');
    await node.kv.set(text, 'abc');
    await expect(node.kv.incr(text)).rejects.toThrow(/not an integer/);
    await expect(node.kv.incr(unique('rate'), { ttlMs: 0 })).rejects.toThrow(TypeError);
  });

  it('compareAndDelete releases a lock only for its owner', async () => {
    const lock = unique('lock');
    expect(await node.kv.set(lock, 'owner-a', { ttlMs: 30_000, ifAbsent: true })).toBe(true);
    expect(await node.kv.set(lock, 'owner-b', { ttlMs: 30_000, ifAbsent: true })).toBe(false);
    expect(await node.kv.compareAndDelete(lock, 'owner-b')).toBe(false);
    expect(await node.kv.get(lock)).toBe('owner-a');
    expect(await node.kv.compareAndDelete(lock, 'owner-a')).toBe(true);
    expect(await node.kv.get(lock)).toBeNull();
    expect(await node.kv.compareAndDelete(lock, 'owner-a')).toBe(false);
  });

  it('lists keys by literal prefix', async () => {
    const base = unique('scan');
    await node.kv.set(`${base}:room1:a`, '1');
    await node.kv.set(`${base}:room1:b`, '1');
    await node.kv.hset(`${base}:room1:h`, { f: '1' });
    await node.kv.set(`${base}:room2:a`, '1');
    await node.kv.set(`${base}:odd*key`, '1');
    await node.kv.set(`${base}:oddXkey`, '1');
    expect(await node.kv.scanPrefix(`${base}:room1:`)).toEqual([
      `${base}:room1:a`,
      `${base}:room1:b`,
      `${base}:room1:h`,
    ]);
    expect(await node.kv.scanPrefix(`${base}:odd*`)).toEqual([`${base}:odd*key`]);
    expect(await node.kv.scanPrefix(`${base}:none`)).toEqual([]);
  });

  it('stores hashes field by field', async () => {
    const key = unique('presence');
    expect(await node.kv.hgetall(key)).toEqual({});
    expect(await node.kv.hset(key, { p1: 'node-a', p2: 'node-b' })).toBe(2);
    expect(await node.kv.hset(key, { p2: 'node-c', p3: 'node-a' })).toBe(1);
    expect(await node.kv.hgetall(key)).toEqual({ p1: 'node-a', p2: 'node-c', p3: 'node-a' });
    expect(await node.kv.hdel(key, 'p1', 'missing')).toBe(1);
    await expect(node.kv.get(key)).rejects.toThrow(/WRONGTYPE/);
    expect(await node.kv.hdel(key, 'p2', 'p3')).toBe(2);
    expect(await node.kv.scanPrefix(key)).toEqual([]);
  });

  it('lets two nodes on one namespace see each other, and keeps other namespaces apart', async () => {
    const a = await open();
    const b = await open();
    const foreign = await open({ namespace: `${NAMESPACE}other:` });
    const channel = unique('fanout');
    const atA: unknown[] = [];
    const atForeign: unknown[] = [];
    await a.bus.subscribe(channel, (m) => void atA.push(m));
    await foreign.bus.subscribe(channel, (m) => void atForeign.push(m));
    await b.bus.publish(channel, { from: 'b' });
    await vi.waitFor(() => expect(atA).toEqual([{ from: 'b' }]), DEADLINE);

    const key = unique('shared');
    expect(await a.kv.set(key, 'from-a', { ifAbsent: true })).toBe(true);
    expect(await b.kv.get(key)).toBe('from-a');
    expect(await b.kv.set(key, 'from-b', { ifAbsent: true })).toBe(false);
    expect(await b.kv.incr(`${key}:n`)).toBe(1);
    expect(await a.kv.incr(`${key}:n`)).toBe(2);
    expect(await foreign.kv.get(key)).toBeNull();

    // Closing one node leaves the other working.
    await a.close();
    expect(await b.kv.get(key)).toBe('from-a');
    await foreign.bus.publish(channel, 'foreign only');
    await vi.waitFor(() => expect(atForeign).toEqual(['foreign only']), DEADLINE);
    expect(atA).toEqual([{ from: 'b' }]);
  });

  it('closes idempotently, after which calls fail clearly', async () => {
    const other = await open();
    const received: unknown[] = [];
    await other.bus.subscribe(unique('room'), (m) => void received.push(m));
    await other.close();
    await other.close();
    await expect(other.kv.get('x')).rejects.toThrow(InvalidStateError);
    await expect(other.bus.publish('x', 1)).rejects.toThrow(InvalidStateError);
    await expect(other.bus.subscribe('x', () => {})).rejects.toThrow(InvalidStateError);
    await expect(other.ping()).rejects.toThrow(InvalidStateError);
    // The shared node is unaffected.
    await expect(node.ping()).resolves.toBeUndefined();
  });
});
