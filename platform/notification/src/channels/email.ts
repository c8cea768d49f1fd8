// E-mail over SMTP (nodemailer), or into the local outbox when no SMTP server is configured: the mail
// is then complete in the outbox table, where admins read it (embedded single-machine mode).
import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryRow } from '../db/schema.js';
import { DeliveryError, type ChannelSender } from './types.js';

interface SmtpFailure {
  responseCode?: number;
  code?: string;
  message?: string;
}

function domainOf(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

function headersOf(delivery: DeliveryRow): Record<string, string> {
  const raw = delivery.extra['headers'];
  const out: Record<string, string> = {};
  if (raw !== null && typeof raw === 'object') {
    for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') out[key] = value;
  }
  return out;
}

export function createSmtpSender(options: {
  smtpUrl: string;
  from: string;
  /** Extra nodemailer transport options (tests: TLS trust for a local peer). */
  transport?: Record<string, unknown>;
}): ChannelSender {
  const url = new URL(options.smtpUrl);
  const transporter: Transporter = nodemailer.createTransport({
    host: url.hostname,
    port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port),
    secure: url.protocol === 'smtps:',
    ...(url.username === ''
      ? {}
      : {
          auth: {
            user: decodeURIComponent(url.username),
            pass: decodeURIComponent(url.password),
          },
        }),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    ...options.transport,
  });
  const domain = domainOf(options.from);
  return {
    channel: 'email',
    describe: `smtp ${url.host}`,
    async send(delivery) {
      try {
        const info = await transporter.sendMail({
          from: options.from,
          to: delivery.address,
          subject: delivery.subject,
          text: delivery.bodyText,
          ...(delivery.bodyHtml === null ? {} : { html: delivery.bodyHtml }),
          // A stable Message-ID per delivery lets receivers drop a copy resent after a lost reply.
          messageId: `<${delivery.id}@${domain}>`,
          headers: headersOf(delivery),
        });
        return { providerId: String(info.messageId) };
      } catch (err) {
        const failure = err as SmtpFailure;
        // RFC 5321 section 4.2.1: 5yz is a permanent negative reply, 4yz a transient one.
        const code = failure.responseCode;
        const permanent = code !== undefined && code >= 500 && code < 600;
        const what = code !== undefined ? `SMTP ${code}` : (failure.code ?? 'SMTP error');
        throw new DeliveryError(`${what}: ${String(failure.message ?? err).slice(0, 300)}`, permanent, {
          cause: err,
        });
      }
    },
    async close() {
      transporter.close();
    },
  };
}

/** The provider id of a mail the local outbox kept (`local-outbox:<delivery id>`). */
export const LOCAL_OUTBOX_PREFIX = 'local-outbox:';

/** No SMTP server: the rendered mail stays in the outbox, marked delivered there. */
export function createLocalOutboxSender(): ChannelSender {
  return {
    channel: 'email',
    describe: 'local outbox (set SMTP_URL to send mail)',
    async send(delivery) {
      return { providerId: `${LOCAL_OUTBOX_PREFIX}${delivery.id}` };
    },
    async close() {},
  };
}
