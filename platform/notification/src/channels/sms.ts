// SMS through a provider's HTTP API. The one implementation speaks the shape most providers share
// (Twilio's: a form POST of To, From and Body with HTTP basic auth, answered with JSON carrying the
// message id); another provider is another SmsProvider.
import type { DeliveryRow } from '../db/schema.js';
import type { SmsSettings } from '../config.js';
import { DeliveryError, type ChannelSender } from './types.js';

export interface SmsProvider {
  readonly name: string;
  /** Sends one text; `idempotencyKey` lets a provider that honours it drop a resend. */
  send(to: string, body: string, idempotencyKey: string): Promise<{ id: string }>;
}

export class FormPostSmsProvider implements SmsProvider {
  readonly name: string;
  constructor(
    private readonly settings: SmsSettings,
    private readonly timeoutMs = 15_000,
  ) {
    this.name = `sms ${new URL(settings.apiUrl).host}`;
  }

  async send(to: string, body: string, idempotencyKey: string): Promise<{ id: string }> {
    const credentials = Buffer.from(`${this.settings.accountSid}:${this.settings.authToken}`).toString(
      'base64',
    );
    let response: Response;
    try {
      response = await fetch(this.settings.apiUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${credentials}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: new URLSearchParams({ To: to, From: this.settings.from, Body: body }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DeliveryError(
        `SMS provider unreachable: ${err instanceof Error ? err.message : String(err)}`,
        false,
        { cause: err },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
      throw new DeliveryError(
        `SMS provider answered HTTP ${response.status}: ${text.slice(0, 200)}`,
        permanent,
      );
    }
    let id: unknown;
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      id = parsed['sid'] ?? parsed['id'] ?? parsed['message_id'];
    } catch {
      id = undefined;
    }
    return { id: typeof id === 'string' && id !== '' ? id : `sms:${response.status}` };
  }
}

export function createSmsSender(provider: SmsProvider): ChannelSender {
  return {
    channel: 'sms',
    describe: provider.name,
    async send(delivery: DeliveryRow) {
      const { id } = await provider.send(delivery.address, delivery.bodyText, delivery.id);
      return { providerId: id };
    },
    async close() {},
  };
}
