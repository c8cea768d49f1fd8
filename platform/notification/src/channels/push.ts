// Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), through
// the web-push package. The outbox row's address is the subscription id; the subscription's endpoint
// and keys are read at send time, so a browser that unsubscribed meanwhile gets nothing.
import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import webpush, { WebPushError } from 'web-push';
import type { DeliveryRow, PushSubscriptionRow } from '../db/schema.js';
import { DeliveryError, type ChannelSender } from './types.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A new P-256 key pair in the form VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY take. */
export function generateVapidKeys(): VapidKeys {
  return webpush.generateVAPIDKeys();
}

export function createPushSender(options: {
  vapid: VapidKeys;
  subject: string;
  lookup: (id: string) => Promise<PushSubscriptionRow | null>;
  /** Called when the push service says the subscription is gone (404/410). */
  forget: (id: string) => Promise<void>;
  /** HTTPS agent for the push service (tests: trust for a local endpoint's certificate). */
  agent?: Agent;
  ttlSeconds?: number;
}): ChannelSender {
  return {
    channel: 'push',
    describe: 'web push (VAPID)',
    async send(delivery: DeliveryRow) {
      const subscription = await options.lookup(delivery.address);
      if (subscription === null) throw new DeliveryError('push subscription no longer exists', true);
      const payload = JSON.stringify(delivery.extra['push'] ?? { title: delivery.subject });
      try {
        const result = await webpush.sendNotification(
          { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
          payload,
          {
            vapidDetails: {
              subject: options.subject,
              publicKey: options.vapid.publicKey,
              privateKey: options.vapid.privateKey,
            },
            TTL: options.ttlSeconds ?? 3600,
            // RFC 8030 section 5.4: a resent message with the same topic replaces the undelivered one.
            topic: createHash('sha256').update(delivery.id).digest('base64url').slice(0, 32),
            urgency: 'high',
            contentEncoding: 'aes128gcm',
            timeout: 15_000,
            ...(options.agent === undefined ? {} : { agent: options.agent }),
          },
        );
        const location = result.headers['location'];
        return { providerId: typeof location === 'string' ? location : `push:${result.statusCode}` };
      } catch (err) {
        if (err instanceof WebPushError) {
          const status = err.statusCode;
          if (status === 404 || status === 410) {
            await options.forget(subscription.id);
            throw new DeliveryError(`push service: subscription gone (HTTP ${status})`, true, { cause: err });
          }
          const permanent = status >= 400 && status < 500 && status !== 429 && status !== 408;
          throw new DeliveryError(`push service answered HTTP ${status}`, permanent, { cause: err });
        }
        throw new DeliveryError(
          `push service unreachable: ${err instanceof Error ? err.message : String(err)}`,
          false,
          { cause: err },
        );
      }
    },
    async close() {},
  };
}
