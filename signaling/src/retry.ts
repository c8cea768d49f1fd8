// Background retries of the idempotent writes to the shared store and bus that keep a room right (a
// participant's removal, its `left` event, its live tracks). The operation that hit a store outage fails
// or completes without them; the write is repeated with backoff until the store answers, so the outage
// degrades that operation for its duration instead of leaving the room wrong for good.
import type { Logger } from '@origo/kit';

/** About two and a half minutes in all; a store down longer than that needs an operator anyway. */
const DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15_000, 30_000, 30_000, 30_000, 30_000];

/**
 * Repeats `write` until it resolves, while `wanted()` holds. Failures are logged once (at the give-up);
 * nothing here can reject unhandled.
 */
export function retryInBackground(
  what: string,
  write: () => Promise<void>,
  logger: Logger,
  wanted: () => boolean,
  context: Record<string, unknown> = {},
): void {
  let attempt = 0;
  const next = (lastError: unknown): void => {
    const delay = DELAYS_MS[attempt];
    if (delay === undefined) {
      logger.warn({ ...context, err: lastError, attempts: attempt }, `gave up retrying ${what}`);
      return;
    }
    attempt += 1;
    const timer = setTimeout(() => {
      if (!wanted()) return;
      Promise.resolve()
        .then(write)
        .then(
          () => logger.info({ ...context, attempts: attempt }, `${what} done after the store recovered`),
          (err: unknown) => next(err),
        );
    }, delay);
    timer.unref();
  };
  next(undefined);
}
