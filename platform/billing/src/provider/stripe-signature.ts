// Webhook signatures as Stripe makes them: the header `Stripe-Signature: t=<unix seconds>,v1=<hex>` where
// the hex is HMAC-SHA256 with the endpoint's secret over `<t>.<raw body>`. Several v1 entries may be sent
// (while a secret is rolled); any one matching is enough. The timestamp must be within the tolerance of
// our clock, so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode } from '@origo/kit';

/** Stripe's libraries default to five minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function stripeSignature(secret: string, timestampSeconds: number, payload: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(payload).digest('hex');
}

function refuse(message: string, reason: string): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, message, { reason });
}

/** Throws an AppError naming why the signature is refused; returns when it holds. */
export function verifyStripeSignature(options: {
  payload: Buffer;
  header: string | undefined;
  secret: string;
  nowSeconds: number;
  toleranceSeconds: number;
}): void {
  const { header } = options;
  if (header === undefined || header === '')
    throw refuse('The Stripe-Signature header is missing', 'webhook_signature_missing');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0)
    throw refuse(
      'The Stripe-Signature header has no timestamp or no v1 signature',
      'webhook_signature_missing',
    );
  const expected = Buffer.from(stripeSignature(options.secret, timestamp, options.payload), 'hex');
  // Every candidate is compared in full, in constant time for its length (all are 32 bytes here).
  let matched = false;
  for (const candidate of signatures)
    if (timingSafeEqual(Buffer.from(candidate, 'hex'), expected)) matched = true;
  if (!matched) throw refuse('The webhook signature does not match', 'webhook_signature_invalid');
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds)
    throw refuse(
      `The webhook timestamp is more than ${options.toleranceSeconds} seconds away from now`,
      'webhook_timestamp_outside_tolerance',
    );
}
