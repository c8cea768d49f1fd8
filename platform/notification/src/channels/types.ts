import type { DeliveryRow } from '../db/schema.js';
import type { Channel } from '../kinds.js';

/**
 * A delivery attempt the peer refused or could not take. `permanent` failures (a 5xx SMTP reply, an
 * unknown push subscription, a 4xx from the SMS provider) are not retried.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One channel's transport; the worker hands it claimed outbox rows. */
export interface ChannelSender {
  readonly channel: Channel;
  /** Where this channel delivers, for logs and the admin view (`smtp`, `local outbox`, ...). */
  readonly describe: string;
  /** Resolves with the peer's id for the message; throws DeliveryError (or anything: retried). */
  send(delivery: DeliveryRow): Promise<{ providerId: string }>;
  close(): Promise<void>;
}
