import { checkName, checkTtl, checkValue, deliver, encodeMessage } from './common.js';
import { InvalidStateError } from './errors.js';
import type { Bus, BusLogger, Kv, MessageHandler, SetOptions, Unsubscribe } from './types.js';

type Entry =
  | { kind: 'string'; value: string; expiresAt: number | null }
  | { kind: 'hash'; value: Map<string, string>; expiresAt: number | null };

interface Subscription {
  readonly handler: MessageHandler;
  active: boolean;
}

const SWEEP_INTERVAL_MS = 1_000;

/**
 * The in-process store and channels of one namespace. Instances created with the same namespace in one
 * process share a hub, as nodes share a Redis, so services hosted together in single-machine mode see
 * each other's messages and keys exactly as they would with REDIS_URL set. The hub is dropped when its
 * last instance closes.
 */
class Hub {
  readonly store = new Map<string, Entry>();
  readonly channels = new Map<string, Set<Subscription>>();
  refs = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    // Reads expire lazily; the sweep only bounds memory held by keys nobody reads again.
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  live(key: string): Entry | undefined {
    const entry = this.store.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.store.delete(key);
      return undefined;
    }
    return entry;
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.store) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.store.delete(key);
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.store.clear();
    this.channels.clear();
  }
}

const hubs = new Map<string, Hub>();

export class MemoryHubLease {
  readonly hub: Hub;
  private released = false;

  constructor(readonly namespace: string) {
    let hub = hubs.get(namespace);
    if (hub === undefined) {
      hub = new Hub();
      hubs.set(namespace, hub);
    }
    hub.refs += 1;
    this.hub = hub;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.hub.refs -= 1;
    if (this.hub.refs === 0) {
      this.hub.stop();
      if (hubs.get(this.namespace) === this.hub) hubs.delete(this.namespace);
    }
  }
}

function wrongType(): TypeError {
  return new TypeError('WRONGTYPE Operation against a key holding the wrong kind of value');
}

export class MemoryBus implements Bus {
  private readonly mine = new Set<{ channel: string; sub: Subscription }>();
  private closed = false;

  constructor(
    private readonly lease: MemoryHubLease,
    private readonly logger: BusLogger,
    private readonly onClose: () => void,
  ) {}

  async publish(channel: string, message: unknown): Promise<void> {
    this.assertOpen();
    checkName('channel', channel);
    const payload = encodeMessage(message);
    const subs = this.lease.hub.channels.get(channel);
    if (subs === undefined || subs.size === 0) return;
    const targets = [...subs];
    // Delivered after publish returns, as over Redis, so a handler never runs inside the publisher.
    queueMicrotask(() => {
      for (const sub of targets) {
        // Each handler gets its own copy, so one handler cannot alter what another sees.
        if (sub.active) deliver(sub.handler, channel, JSON.parse(payload), this.logger);
      }
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.assertOpen();
    checkName('channel', channel);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    const channels = this.lease.hub.channels;
    const sub: Subscription = { handler, active: true };
    let subs = channels.get(channel);
    if (subs === undefined) {
      subs = new Set();
      channels.set(channel, subs);
    }
    subs.add(sub);
    const record = { channel, sub };
    this.mine.add(record);
    return async () => {
      this.drop(record);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const record of [...this.mine]) this.drop(record);
    this.onClose();
  }

  private drop(record: { channel: string; sub: Subscription }): void {
    if (!record.sub.active) return;
    record.sub.active = false;
    this.mine.delete(record);
    const subs = this.lease.hub.channels.get(record.channel);
    subs?.delete(record.sub);
    if (subs?.size === 0) this.lease.hub.channels.delete(record.channel);
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidStateError('bus is closed');
  }
}

export class MemoryKv implements Kv {
  private closed = false;

  constructor(
    private readonly lease: MemoryHubLease,
    private readonly onClose: () => void,
  ) {}

  private get hub(): Hub {
    if (this.closed) throw new InvalidStateError('key-value store is closed');
    return this.lease.hub;
  }

  private stringEntry(key: string): Extract<Entry, { kind: 'string' }> | undefined {
    const entry = this.hub.live(checkName('key', key));
    if (entry !== undefined && entry.kind !== 'string') throw wrongType();
    return entry;
  }

  private hashEntry(key: string): Extract<Entry, { kind: 'hash' }> | undefined {
    const entry = this.hub.live(checkName('key', key));
    if (entry !== undefined && entry.kind !== 'hash') throw wrongType();
    return entry;
  }

  async get(key: string): Promise<string | null> {
    return this.stringEntry(key)?.value ?? null;
  }

  async set(key: string, value: string, opts: SetOptions = {}): Promise<boolean> {
    const hub = this.hub;
    checkName('key', key);
    checkValue(value);
    const ttlMs = opts.ttlMs === undefined ? undefined : checkTtl(opts.ttlMs);
    if (opts.ifAbsent === true && hub.live(key) !== undefined) return false;
    hub.store.set(key, { kind: 'string', value, expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs });
    return true;
  }

  async del(key: string): Promise<boolean> {
    const hub = this.hub;
    const existed = hub.live(checkName('key', key)) !== undefined;
    hub.store.delete(key);
    return existed;
  }

  async incr(key: string, opts: { ttlMs?: number } = {}): Promise<number> {
    const ttlMs = opts.ttlMs === undefined ? undefined : checkTtl(opts.ttlMs);
    const entry = this.stringEntry(key);
    const current = entry === undefined ? 0 : Number(entry.value);
    if (entry !== undefined && !/^-?\d+$/.test(entry.value)) {
      throw new TypeError('ERR value is not an integer or out of range');
    }
    const next = current + 1;
    if (!Number.isSafeInteger(next)) throw new TypeError('ERR increment or decrement would overflow');
    if (entry === undefined) {
      this.hub.store.set(key, {
        kind: 'string',
        value: String(next),
        expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs,
      });
    } else {
      entry.value = String(next);
      if (entry.expiresAt === null && ttlMs !== undefined) entry.expiresAt = Date.now() + ttlMs;
    }
    return next;
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const entry = this.hub.live(checkName('key', key));
    if (entry === undefined) return false;
    entry.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async ttl(key: string): Promise<number | null> {
    const entry = this.hub.live(checkName('key', key));
    if (entry === undefined || entry.expiresAt === null) return null;
    return Math.max(0, entry.expiresAt - Date.now());
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    checkValue(expected);
    const entry = this.stringEntry(key);
    if (entry === undefined || entry.value !== expected) return false;
    this.hub.store.delete(key);
    return true;
  }

  async scanPrefix(prefix: string): Promise<string[]> {
    const hub = this.hub;
    checkName('prefix', prefix);
    const keys: string[] = [];
    for (const key of hub.store.keys()) {
      if (key.startsWith(prefix) && hub.live(key) !== undefined) keys.push(key);
    }
    return keys.sort();
  }

  async hset(key: string, fields: Readonly<Record<string, string>>): Promise<number> {
    const names = Object.keys(fields);
    if (names.length === 0) throw new TypeError('hset needs at least one field');
    for (const name of names) checkValue(fields[name]);
    let entry = this.hashEntry(key);
    if (entry === undefined) {
      entry = { kind: 'hash', value: new Map(), expiresAt: null };
      this.hub.store.set(key, entry);
    }
    let added = 0;
    for (const name of names) {
      if (!entry.value.has(name)) added += 1;
      entry.value.set(name, fields[name] as string);
    }
    return added;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const entry = this.hashEntry(key);
    return entry === undefined ? {} : Object.fromEntries(entry.value);
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    if (fields.length === 0) throw new TypeError('hdel needs at least one field');
    for (const field of fields) checkName('field', field);
    const entry = this.hashEntry(key);
    if (entry === undefined) return 0;
    let removed = 0;
    for (const field of fields) if (entry.value.delete(field)) removed += 1;
    if (entry.value.size === 0) this.hub.store.delete(key);
    return removed;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new InvalidStateError('key-value store is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
