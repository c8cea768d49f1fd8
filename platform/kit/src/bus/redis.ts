import { Redis } from 'ioredis';
import { checkName, checkTtl, checkValue, deliver, encodeMessage, errorText } from './common.js';
import { BusConnectionError, InvalidStateError } from './errors.js';
import { redactUrl, scrubPassword } from '../redact-url.js';
import type { Bus, BusLogger, Kv, MessageHandler, SetOptions, Unsubscribe } from './types.js';

// Applies the TTL only when the key has none, i.e. when this INCR created it (a fixed window).
const INCR_WITH_TTL = `
local value = redis.call('INCR', KEYS[1])
if ARGV[1] ~= '' and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value`;

const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

interface ScriptedRedis extends Redis {
  origoIncr(key: string, ttlMs: string): Promise<number>;
  origoCompareAndDelete(key: string, expected: string): Promise<number>;
}

export interface RedisSettings {
  url: string;
  namespace: string;
  logger: BusLogger;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Validates REDIS_URL without echoing it when it does not parse (it may hold a password). */
export function checkRedisUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new BusConnectionError('REDIS_URL is not a valid URL (expected redis://host:port)');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new BusConnectionError(`REDIS_URL must start with redis:// or rediss://, got ${redactUrl(url)}`);
  }
}

export function newRedis(settings: RedisSettings): Redis {
  return new Redis(settings.url, {
    lazyConnect: true,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    // Calls made while Redis is away fail after a few reconnect attempts instead of piling up.
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

/**
 * Connects a lazily-created client, failing within the connect timeout with an error that names
 * REDIS_URL. After that, connection errors are logged once per distinct message until the client is
 * ready again, and ioredis keeps reconnecting.
 */
export async function connectRedis(client: Redis, settings: RedisSettings, role: string): Promise<void> {
  let lastError: Error | undefined;
  const onError = (err: Error): void => {
    lastError = err;
  };
  client.on('error', onError);
  const connecting = client.connect();
  connecting.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no reply within ${settings.connectTimeoutMs} ms`)),
      settings.connectTimeoutMs,
    );
  });
  try {
    await Promise.race([connecting, timeout]);
  } catch (err) {
    client.disconnect();
    const reason = scrubPassword(errorText(lastError ?? err), settings.url);
    throw new BusConnectionError(`REDIS_URL: cannot connect to ${redactUrl(settings.url)}: ${reason}`, {
      cause: lastError ?? err,
    });
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
  let reported: string | undefined;
  client.on('error', (err: Error) => {
    if (err.message === reported) return;
    reported = err.message;
    settings.logger.warn({ role, err: scrubPassword(err.message, settings.url) }, 'redis connection error');
  });
  client.on('ready', () => {
    reported = undefined;
  });
}

export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

interface RemoteSubscription {
  readonly channel: string;
  readonly handler: MessageHandler;
  active: boolean;
}

interface ChannelState {
  readonly subs: Set<RemoteSubscription>;
  /** Settles when Redis has confirmed SUBSCRIBE; every subscriber of the channel waits for it. */
  readonly ready: Promise<void>;
}

/** Pub/sub over a dedicated subscriber connection (a subscribed Redis connection runs no other commands). */
export class RedisBus implements Bus {
  private readonly channels = new Map<string, ChannelState>();
  private subscriber: Promise<Redis> | undefined;
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly settings: RedisSettings,
    private readonly onClose: () => Promise<void>,
  ) {}

  async publish(channel: string, message: unknown): Promise<void> {
    this.assertOpen();
    checkName('channel', channel);
    await this.publisher.publish(this.settings.namespace + channel, encodeMessage(message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.assertOpen();
    checkName('channel', channel);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    const client = await this.connectSubscriber();
    this.assertOpen();
    const full = this.settings.namespace + channel;
    let state = this.channels.get(full);
    if (state === undefined) {
      // Commands on one connection run in order, so a SUBSCRIBE sent after an UNSUBSCRIBE of the same
      // channel always leaves Redis agreeing with this map.
      state = { subs: new Set(), ready: client.subscribe(full).then(() => undefined) };
      this.channels.set(full, state);
    }
    const sub: RemoteSubscription = { channel: full, handler, active: true };
    state.subs.add(sub);
    try {
      await state.ready;
    } catch (err) {
      sub.active = false;
      state.subs.delete(sub);
      // Forget the failed channel so the next subscribe sends SUBSCRIBE again.
      if (this.channels.get(full) === state) this.channels.delete(full);
      throw err;
    }
    return () => this.unsubscribe(sub);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.channels.values()) for (const sub of state.subs) sub.active = false;
    this.channels.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    const client = await subscriber?.catch(() => undefined);
    if (client !== undefined) await closeRedis(client);
    await this.onClose();
  }

  private async unsubscribe(sub: RemoteSubscription): Promise<void> {
    if (!sub.active) return;
    sub.active = false;
    const state = this.channels.get(sub.channel);
    if (state === undefined || !state.subs.delete(sub) || state.subs.size > 0) return;
    this.channels.delete(sub.channel);
    const client = await this.subscriber?.catch(() => undefined);
    if (client === undefined || client.status === 'end') return;
    // Delivery to this handler has already stopped; a failure here only leaves Redis sending messages
    // this node ignores, so it is logged rather than thrown.
    await client.unsubscribe(sub.channel).catch((err: unknown) => {
      this.settings.logger.warn({ channel: sub.channel, err: errorText(err) }, 'redis unsubscribe failed');
    });
  }

  private connectSubscriber(): Promise<Redis> {
    this.subscriber ??= (async () => {
      const client = this.publisher.duplicate();
      client.on('message', (channel: string, raw: string) => this.dispatch(channel, raw));
      await connectRedis(client, this.settings, 'subscriber');
      return client;
    })().catch((err: unknown) => {
      this.subscriber = undefined;
      throw err;
    });
    return this.subscriber;
  }

  private dispatch(channel: string, raw: string): void {
    const state = this.channels.get(channel);
    if (state === undefined) return;
    for (const sub of [...state.subs]) {
      if (!sub.active) continue;
      let message: unknown;
      try {
        message = JSON.parse(raw);
      } catch (err) {
        this.settings.logger.warn({ channel, err: errorText(err) }, 'dropped a bus message that is not JSON');
        return;
      }
      deliver(sub.handler, channel.slice(this.settings.namespace.length), message, this.settings.logger);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidStateError('bus is closed');
  }

  /** For readiness: the subscriber connection, if one was opened, must be up. */
  async ping(): Promise<void> {
    const subscriber = await this.subscriber;
    if (subscriber !== undefined) await subscriber.ping();
  }
}

export class RedisKv implements Kv {
  private closed = false;
  private readonly client: ScriptedRedis;

  constructor(
    client: Redis,
    private readonly namespace: string,
    private readonly onClose: () => Promise<void>,
  ) {
    client.defineCommand('origoIncr', { numberOfKeys: 1, lua: INCR_WITH_TTL });
    client.defineCommand('origoCompareAndDelete', { numberOfKeys: 1, lua: COMPARE_AND_DELETE });
    this.client = client as ScriptedRedis;
  }

  private key(key: string): string {
    if (this.closed) throw new InvalidStateError('key-value store is closed');
    return this.namespace + checkName('key', key);
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(this.key(key));
  }

  async set(key: string, value: string, opts: SetOptions = {}): Promise<boolean> {
    const args: (string | number)[] = [this.key(key), checkValue(value)];
    if (opts.ttlMs !== undefined) args.push('PX', checkTtl(opts.ttlMs));
    if (opts.ifAbsent === true) args.push('NX');
    return (await this.client.call('SET', ...args)) === 'OK';
  }

  async del(key: string): Promise<boolean> {
    return (await this.client.del(this.key(key))) > 0;
  }

  async incr(key: string, opts: { ttlMs?: number } = {}): Promise<number> {
    const ttl = opts.ttlMs === undefined ? '' : String(checkTtl(opts.ttlMs));
    return Number(await this.client.origoIncr(this.key(key), ttl));
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    return (await this.client.pexpire(this.key(key), checkTtl(ttlMs))) === 1;
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.client.pttl(this.key(key));
    return ms < 0 ? null : ms;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    return (await this.client.origoCompareAndDelete(this.key(key), checkValue(expected))) === 1;
  }

  async scanPrefix(prefix: string): Promise<string[]> {
    const pattern = escapeGlob(this.namespace + checkName('prefix', prefix)) + '*';
    if (this.closed) throw new InvalidStateError('key-value store is closed');
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      // SCAN may return a key more than once; the set removes repeats.
      for (const key of keys) found.add(key.slice(this.namespace.length));
      cursor = next;
    } while (cursor !== '0');
    return [...found].sort();
  }

  async hset(key: string, fields: Readonly<Record<string, string>>): Promise<number> {
    const full = this.key(key);
    const names = Object.keys(fields);
    if (names.length === 0) throw new TypeError('hset needs at least one field');
    for (const name of names) checkValue(fields[name]);
    return this.client.hset(full, fields);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return this.client.hgetall(this.key(key));
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    const full = this.key(key);
    if (fields.length === 0) throw new TypeError('hdel needs at least one field');
    for (const field of fields) checkName('field', field);
    return this.client.hdel(full, ...fields);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new InvalidStateError('key-value store is closed');
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onClose();
  }
}
