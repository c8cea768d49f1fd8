/** Structural so this module does not depend on the logging module; a pino logger fits. */
export interface BusLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Receives a copy of each message (decoded from JSON). Exceptions and rejections are caught and logged;
 * they never reach the publisher or other handlers.
 */
export type MessageHandler = (message: unknown) => void | Promise<void>;

/** Removes one subscription; safe to call more than once. */
export type Unsubscribe = () => Promise<void>;

export interface Bus {
  /** Sends a JSON-serialisable message to every current subscriber of the channel, on every node. */
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is active, so a message published afterwards is delivered. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;
  /** Drops this instance's subscriptions; safe to call more than once. */
  close(): Promise<void>;
}

export interface SetOptions {
  /** Expire the key after this many milliseconds (a positive integer). Without it, any TTL is cleared. */
  ttlMs?: number;
  /** Only set when the key does not exist (Redis NX); `set` then returns false if it did. */
  ifAbsent?: boolean;
}

export interface Kv {
  get(key: string): Promise<string | null>;
  /** Returns whether the value was written (false only when `ifAbsent` found the key). */
  set(key: string, value: string, opts?: SetOptions): Promise<boolean>;
  /** Returns whether the key existed. */
  del(key: string): Promise<boolean>;
  /**
   * Adds one and returns the new value. `ttlMs` is applied only when the key has no TTL, that is when
   * this call created it: a fixed window for rate limiting.
   */
  incr(key: string, opts?: { ttlMs?: number }): Promise<number>;
  /** Sets a TTL on an existing key; returns false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Milliseconds left, or null when the key does not exist or has no TTL. */
  ttl(key: string): Promise<number | null>;
  /** Deletes the key only if it holds `expected` (releasing a lock we still own); atomic. */
  compareAndDelete(key: string, expected: string): Promise<boolean>;
  /** Keys (without the namespace) starting with `prefix`, sorted; the prefix is literal, not a pattern. */
  scanPrefix(prefix: string): Promise<string[]>;
  /** Sets hash fields; returns how many fields were new. */
  hset(key: string, fields: Readonly<Record<string, string>>): Promise<number>;
  /** All fields of a hash; `{}` when the key does not exist. */
  hgetall(key: string): Promise<Record<string, string>>;
  /** Removes hash fields; returns how many existed. The key goes away with its last field. */
  hdel(key: string, ...fields: string[]): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CreateBusKvOptions {
  /** REDIS_URL; when set (non-empty), Redis is used, otherwise an in-process store. */
  redisUrl?: string | undefined;
  /** Prefix of every key and channel, so several installs can share a Redis. Default `origo:`. */
  namespace?: string | undefined;
  logger?: BusLogger | undefined;
  /** Bound on reaching Redis (connect and first reply). Default 10 s. */
  connectTimeoutMs?: number | undefined;
  /** Bound on each Redis command, so a hung server fails calls instead of stalling them. Default 5 s. */
  commandTimeoutMs?: number | undefined;
}

export interface BusKv {
  readonly bus: Bus;
  readonly kv: Kv;
  readonly kind: 'memory' | 'redis';
  readonly namespace: string;
  /** Resolves when the store answers; for `/health/ready`. */
  ping(): Promise<void>;
  /** Closes the bus and the store; safe to call more than once. */
  close(): Promise<void>;
}
