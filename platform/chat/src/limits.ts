import { AppError, ErrorCode } from '@origo/kit';

/** Size and rate limits of chat messages. */
export interface ChatLimits {
  /** Largest message text in bytes of UTF-8. */
  maxMessageBytes: number;
  /** Messages (posts and edits) one participant may send per second, sustained. */
  ratePerSecond: number;
  /** Messages one participant may send at once before the sustained rate applies. */
  rateBurst: number;
}

export const DEFAULT_LIMITS: ChatLimits = { maxMessageBytes: 4096, ratePerSecond: 1, rateBurst: 10 };

/**
 * Checks a message text and returns it unchanged: the text is stored and delivered verbatim (clients
 * render it as text, never as HTML), so nothing is escaped or trimmed here.
 */
export function checkText(text: string, maxBytes: number): string {
  if (text.trim() === '')
    throw AppError.invalid('The message is empty', [{ field: 'text', message: 'must not be empty' }]);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes)
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `The message is ${bytes} bytes; at most ${maxBytes} are allowed`,
      {
        reason: 'message_too_large',
        httpStatus: 413,
        violations: [{ field: 'text', message: `must be at most ${maxBytes} bytes of UTF-8` }],
      },
    );
  // PostgreSQL text cannot hold NUL; refusing it is clearer than a storage error.
  if (text.includes('\u0000'))
    throw AppError.invalid('The message contains a NUL character', [
      { field: 'text', message: 'must not contain NUL (U+0000)' },
    ]);
  return text;
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * One token bucket per (meeting, sender), in memory of this chat instance: with several chat instances
 * behind signaling each enforces the rate on what it sees. Idle buckets are dropped.
 */
export class SenderRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweeps = 0;

  constructor(
    private readonly limits: Pick<ChatLimits, 'ratePerSecond' | 'rateBurst'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `key`, or throws RESOURCE_EXHAUSTED with how long to wait. */
  take(key: string): void {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limits.rateBurst, last: now };
    bucket.tokens = Math.min(
      this.limits.rateBurst,
      bucket.tokens + ((now - bucket.last) / 1000) * this.limits.ratePerSecond,
    );
    bucket.last = now;
    this.buckets.set(key, bucket);
    if (++this.sweeps % 1000 === 0) this.sweep(now);
    if (bucket.tokens < 1) {
      const waitMs = Math.ceil(((1 - bucket.tokens) / this.limits.ratePerSecond) * 1000);
      throw new AppError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `Too many messages; wait ${Math.ceil(waitMs / 1000)} s before sending again`,
        { reason: 'chat_rate_limited' },
      );
    }
    bucket.tokens -= 1;
  }

  private sweep(now: number): void {
    const full = (this.limits.rateBurst / this.limits.ratePerSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.last > full) this.buckets.delete(key);
  }
}
