import { checkNamespace, DEFAULT_NAMESPACE, fallbackLogger } from './common.js';
import { MemoryBus, MemoryHubLease, MemoryKv } from './memory.js';
import {
  checkRedisUrl,
  closeRedis,
  connectRedis,
  newRedis,
  RedisBus,
  RedisKv,
  type RedisSettings,
} from './redis.js';
import type { BusKv, CreateBusKvOptions } from './types.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`createBusKv: ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Runs `release` once, after both halves (bus and kv) have closed. */
function releaseAfterBoth(release: () => Promise<void>): () => Promise<void> {
  let remaining = 2;
  return async () => {
    remaining -= 1;
    if (remaining === 0) await release();
  };
}

/**
 * Creates the event bus and key-value store. Without `redisUrl` both live in this process (instances
 * with the same namespace share them); with it they live in Redis, shared by every node using the same
 * namespace. Fails with an error naming REDIS_URL if Redis cannot be reached within the connect timeout.
 */
export async function createBusKv(options: CreateBusKvOptions = {}): Promise<BusKv> {
  const namespace = checkNamespace(options.namespace ?? DEFAULT_NAMESPACE);
  const logger = options.logger ?? fallbackLogger;
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS);
  const redisUrl = options.redisUrl === '' ? undefined : options.redisUrl;

  if (redisUrl === undefined) {
    const lease = new MemoryHubLease(namespace);
    const release = releaseAfterBoth(async () => lease.release());
    const bus = new MemoryBus(lease, logger, () => void release());
    const kv = new MemoryKv(lease, () => void release());
    return assemble('memory', namespace, bus, kv, () => kv.ping());
  }

  checkRedisUrl(redisUrl);
  const settings: RedisSettings = { url: redisUrl, namespace, logger, connectTimeoutMs, commandTimeoutMs };
  const client = newRedis(settings);
  await connectRedis(client, settings, 'commands');
  const release = releaseAfterBoth(() => closeRedis(client));
  const bus = new RedisBus(client, settings, release);
  const kv = new RedisKv(client, namespace, release);
  return assemble('redis', namespace, bus, kv, async () => {
    await Promise.all([kv.ping(), bus.ping()]);
  });
}

function assemble(
  kind: BusKv['kind'],
  namespace: string,
  bus: BusKv['bus'],
  kv: BusKv['kv'],
  ping: () => Promise<void>,
): BusKv {
  let closing: Promise<void> | undefined;
  return {
    bus,
    kv,
    kind,
    namespace,
    ping,
    close() {
      closing ??= Promise.all([bus.close(), kv.close()]).then(() => undefined);
      return closing;
    },
  };
}
