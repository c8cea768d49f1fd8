// The kit's store and bus (memory or Redis) behind a switch that makes them fail the way Redis does when it
// goes away: every call rejects at once ("Connection is closed.", what ioredis says when the server is
// gone), or no call answers until the command timeout ("Command timed out", ioredis with commandTimeout).
// Signaling gets the wrapper as its `busKv`; the test flips the switch around the operation under test.
import type { Bus, BusKv, Kv, MessageHandler, SetOptions, Unsubscribe } from '@origo/kit/bus';

export type FaultMode = 'reject' | 'hang';

export interface Fault {
  mode: FaultMode;
  /** For `hang`: how long a call waits before it fails. */
  timeoutMs?: number;
  /**
   * Which calls fail (by name, e.g. `kv.hset`, `bus.publish`, and the key or channel they touch, without the
   * namespace); all of them when absent. Incoming bus messages are dropped only when this names `bus.deliver`.
   */
  only?: (call: string, key: string | undefined) => boolean;
}

export class FaultyBusKv implements BusKv {
  readonly kv: Kv;
  readonly bus: Bus;
  /** Every call that was made to fail, by name, in order. */
  readonly failedCalls: string[] = [];
  private fault: Fault | null = null;
  private readonly hanging = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();

  constructor(private readonly inner: BusKv) {
    const g = <T>(call: string, fn: () => Promise<T>, key?: string): Promise<T> => this.gate(call, fn, key);
    const kv = inner.kv;
    this.kv = {
      get: (key) => g('kv.get', () => kv.get(key), key),
      set: (key, value, opts?: SetOptions) => g('kv.set', () => kv.set(key, value, opts), key),
      del: (key) => g('kv.del', () => kv.del(key), key),
      incr: (key, opts) => g('kv.incr', () => kv.incr(key, opts), key),
      expire: (key, ttlMs) => g('kv.expire', () => kv.expire(key, ttlMs), key),
      ttl: (key) => g('kv.ttl', () => kv.ttl(key), key),
      compareAndDelete: (key, expected) =>
        g('kv.compareAndDelete', () => kv.compareAndDelete(key, expected), key),
      scanPrefix: (prefix) => g('kv.scanPrefix', () => kv.scanPrefix(prefix), prefix),
      hset: (key, fields) => g('kv.hset', () => kv.hset(key, fields), key),
      hgetall: (key) => g('kv.hgetall', () => kv.hgetall(key), key),
      hdel: (key, ...fields) => g('kv.hdel', () => kv.hdel(key, ...fields), key),
      ping: () => g('kv.ping', () => kv.ping()),
      close: () => kv.close(),
    };
    const bus = inner.bus;
    this.bus = {
      publish: (channel, message) => g('bus.publish', () => bus.publish(channel, message), channel),
      subscribe: (channel, handler: MessageHandler): Promise<Unsubscribe> =>
        g(
          'bus.subscribe',
          async () => {
            const unsubscribe = await bus.subscribe(channel, async (message) => {
              if (this.drops(channel)) this.failedCalls.push('bus.deliver');
              else await handler(message);
            });
            return () => g('bus.unsubscribe', unsubscribe, channel);
          },
          channel,
        ),
      close: () => bus.close(),
    };
  }

  get kind(): BusKv['kind'] {
    return this.inner.kind;
  }

  get namespace(): string {
    return this.inner.namespace;
  }

  /** From now on, matching calls fail. */
  fail(fault: Fault): void {
    this.fault = fault;
  }

  /** From now on, calls reach the store again (calls already hanging still time out). */
  recover(): void {
    this.fault = null;
  }

  ping(): Promise<void> {
    return this.gate('ping', () => this.inner.ping());
  }

  async close(): Promise<void> {
    this.fault = null;
    for (const h of this.hanging) {
      clearTimeout(h.timer);
      h.reject(new Error('Connection is closed.'));
    }
    this.hanging.clear();
    await this.inner.close();
  }

  /** Messages are lost on the way in only when a fault names `bus.deliver` (a node cut off from Redis). */
  private drops(channel: string): boolean {
    const f = this.fault;
    return f?.only !== undefined && f.only('bus.deliver', channel);
  }

  private gate<T>(call: string, fn: () => Promise<T>, key?: string): Promise<T> {
    const f = this.fault;
    if (f === null || (f.only !== undefined && !f.only(call, key))) return fn();
    this.failedCalls.push(call);
    if (f.mode === 'reject') return Promise.reject(new Error('Connection is closed.'));
    return new Promise<T>((_, reject) => {
      const entry = {
        reject,
        timer: setTimeout(() => {
          this.hanging.delete(entry);
          reject(new Error('Command timed out'));
        }, f.timeoutMs ?? 1000),
      };
      this.hanging.add(entry);
    });
  }
}
