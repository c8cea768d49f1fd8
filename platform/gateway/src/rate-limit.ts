import { createHash } from 'node:crypto';
import type { Kv } from '@origo/kit/bus';

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Fixed-window counters in the kit kv (memory, or Redis shared by every gateway replica when REDIS_URL
 * is set): the first request of a window creates the key with the window as TTL.
 */
export class RateLimiter {
  constructor(
    private readonly kv: Kv,
    private readonly windowMs: number,
  ) {}

  async hit(bucket: string, limit: number): Promise<LimitResult> {
    const key = `gateway:rl:${bucket}`;
    const count = await this.kv.incr(key, { ttlMs: this.windowMs });
    const ttl = (await this.kv.ttl(key)) ?? this.windowMs;
    const resetSeconds = Math.max(1, Math.ceil(ttl / 1000));
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
  }
}

/** A bucket name for a credential that never holds the credential itself. */
export function credentialBucket(credential: string): string {
  return createHash('sha256').update(credential).digest('base64url').slice(0, 32);
}
