import type { Kv } from '@origo/kit/bus';
import type { ThrottleSettings } from './config.js';
import { keyHash } from './crypto.js';

/**
 * Sign-in throttling, designed so an attacker cannot lock the real user out.
 *
 * Three counters, all fixed windows of `windowMs` in the shared KV store (memory, or Redis when set):
 *
 * 1. (e-mail, IP) pair, strict: every attempt is counted before the password is checked (so parallel
 *    bursts cannot slip through), a success clears it. After `pairFailures` the pair is refused until the
 *    window ends. An attacker hammering one account from one IP stops here, and only that pair is
 *    blocked: the owner signing in from their own IP is unaffected.
 * 2. IP (any e-mail), loose: failures only. After `ipFailures` the IP is refused; stops one IP spraying
 *    passwords across many accounts.
 * 3. E-mail (any IP), loose, exponential: failures only. Beyond `emailFailures` (an attack from many IPs)
 *    each further failure locks the account for 2^k seconds (capped at the window) - but only for IPs
 *    that never signed in to this account successfully. The owner's known IPs (remembered for 30 days
 *    after a success) skip this lock, so even a distributed attack does not lock the owner out at home.
 *
 * Attempts on unknown e-mail addresses are counted the same way, so throttling tells nothing about
 * which accounts exist. Keys hold hashes, never the address itself.
 */
export interface ThrottleBlock {
  retryAfterSeconds: number;
  scope: 'pair' | 'ip' | 'email';
}

const KNOWN_IP_TTL_MS = 30 * 86_400_000;

export class SignInThrottle {
  constructor(
    private readonly kv: Kv,
    private readonly settings: ThrottleSettings,
  ) {}

  /**
   * Read-only: whether a window is already exhausted, so a refused attempt costs no database work. Call
   * it before looking the account up, and `begin` once the lookup answered: an attempt the database
   * could not serve (an outage) is then not counted, and a user who kept retrying through one is not
   * locked out when it ends.
   */
  async check(email: string, ip: string): Promise<ThrottleBlock | null> {
    const k = keys(email, ip);
    const ipFailures = Number((await this.kv.get(k.ip)) ?? 0);
    if (ipFailures >= this.settings.ipFailures) return this.block(k.ip, 'ip');
    if ((await this.kv.get(k.emailLock)) !== null && (await this.kv.get(k.known)) === null) {
      return this.block(k.emailLock, 'email');
    }
    const attempts = Number((await this.kv.get(k.pair)) ?? 0);
    if (attempts >= this.settings.pairFailures) return this.block(k.pair, 'pair');
    return null;
  }

  /** Call before checking the password; a non-null result means answer 429 without checking it. */
  async begin(email: string, ip: string): Promise<ThrottleBlock | null> {
    const k = keys(email, ip);
    const ipFailures = Number((await this.kv.get(k.ip)) ?? 0);
    if (ipFailures >= this.settings.ipFailures) return this.block(k.ip, 'ip');
    if ((await this.kv.get(k.emailLock)) !== null && (await this.kv.get(k.known)) === null) {
      return this.block(k.emailLock, 'email');
    }
    const attempts = await this.kv.incr(k.pair, { ttlMs: this.settings.windowMs });
    if (attempts > this.settings.pairFailures) return this.block(k.pair, 'pair');
    return null;
  }

  async failure(email: string, ip: string): Promise<void> {
    const k = keys(email, ip);
    await this.kv.incr(k.ip, { ttlMs: this.settings.windowMs });
    const failures = await this.kv.incr(k.email, { ttlMs: this.settings.windowMs });
    const over = failures - this.settings.emailFailures;
    if (over > 0) {
      const lockMs = Math.min(1000 * 2 ** Math.min(over - 1, 30), this.settings.windowMs);
      await this.kv.set(k.emailLock, '1', { ttlMs: lockMs });
    }
  }

  async success(email: string, ip: string): Promise<void> {
    const k = keys(email, ip);
    await this.kv.del(k.pair);
    await this.kv.set(k.known, '1', { ttlMs: KNOWN_IP_TTL_MS });
  }

  private async block(key: string, scope: ThrottleBlock['scope']): Promise<ThrottleBlock> {
    const ttl = (await this.kv.ttl(key)) ?? this.settings.windowMs;
    return { scope, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
  }
}

function keys(email: string, ip: string) {
  const mail = keyHash(email.trim().toLowerCase());
  const pair = keyHash(`${email.trim().toLowerCase()}|${ip}`);
  return {
    pair: `auth:signin:pair:${pair}`,
    known: `auth:signin:known:${pair}`,
    ip: `auth:signin:ip:${keyHash(ip)}`,
    email: `auth:signin:email:${mail}`,
    emailLock: `auth:signin:email-lock:${mail}`,
  };
}

/** A plain fixed-window limit for other abuse-prone endpoints (sign-up, reset requests). */
export async function fixedWindowLimit(
  kv: Kv,
  key: string,
  limit: number,
  windowMs: number,
): Promise<number | null> {
  const count = await kv.incr(`auth:limit:${key}`, { ttlMs: windowMs });
  if (count <= limit) return null;
  const ttl = (await kv.ttl(`auth:limit:${key}`)) ?? windowMs;
  return Math.max(1, Math.ceil(ttl / 1000));
}
