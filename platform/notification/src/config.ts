import { z } from 'zod';
import { env } from '@origo/kit';

/**
 * Environment variables of the notification role (besides the common ones: ORIGO_DATA, DATABASE_URL,
 * REDIS_URL, LOG_LEVEL). Without SMTP_URL e-mails go to the local outbox admins read; without
 * SMS_API_URL the SMS channel is off; VAPID keys are generated into ORIGO_DATA/secrets when not set.
 */
export const notificationConfigSchema = z
  .object({
    NOTIFICATION_HTTP_PORT: env.port().optional(),
    NOTIFICATION_GRPC_PORT: env.port().optional(),
    NOTIFICATION_HOST: z.string().min(1).optional(),
    /** Where the browser reaches Origo: unsubscribe links and the push click target. */
    ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
    /** Auth service base URL (distributed mode); in one process the AddressBook's `auth.http`. */
    AUTH_URL: env.url(['http', 'https']).optional(),
    AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
    AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
    /** smtp://user:password@host:587 or smtps://...:465; unset: mails go to the local outbox. */
    SMTP_URL: env.url(['smtp', 'smtps']).optional(),
    /** The From header of every mail. */
    SMTP_FROM: z.string().min(3).default('Origo <no-reply@localhost>'),
    /** VAPID key pair (RFC 8292) as web-push prints it (base64url); both or neither. */
    VAPID_PUBLIC_KEY: z.string().min(80).optional(),
    VAPID_PRIVATE_KEY: z.string().min(40).optional(),
    /** VAPID contact (RFC 8292 section 2.1): a mailto: or https: URL. */
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https:// URL')
      .default('mailto:admin@localhost'),
    /** SMS provider's message endpoint (Twilio-style form POST with basic auth); unset: SMS is off. */
    SMS_API_URL: env.url(['http', 'https']).optional(),
    SMS_ACCOUNT_SID: z.string().min(1).optional(),
    SMS_AUTH_TOKEN: z.string().min(1).optional(),
    /** Sender number (E.164) or alphanumeric sender id. */
    SMS_FROM: z.string().min(1).optional(),
    /** Minutes before an occurrence that reminders go out, unless the schedule says otherwise. */
    NOTIFICATION_REMINDER_MINUTES: env.int(15, 1, 7 * 24 * 60),
    /** Attempts per delivery before it is marked failed. */
    NOTIFICATION_MAX_ATTEMPTS: env.int(8, 1, 50),
    /** First retry delay; each later one doubles (with jitter) up to NOTIFICATION_RETRY_MAX_MS. */
    NOTIFICATION_RETRY_BASE_MS: env.int(30_000, 10, 3_600_000),
    NOTIFICATION_RETRY_MAX_MS: env.int(3_600_000, 10, 86_400_000),
    /** Allow push endpoints on loopback and private addresses (tests, closed networks only). */
    NOTIFICATION_PUSH_ALLOW_PRIVATE: env.bool(false),
  })
  .superRefine((value, ctx) => {
    if ((value.VAPID_PUBLIC_KEY === undefined) !== (value.VAPID_PRIVATE_KEY === undefined)) {
      const missing = value.VAPID_PUBLIC_KEY === undefined ? 'VAPID_PUBLIC_KEY' : 'VAPID_PRIVATE_KEY';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set together with its pair' });
    }
    const sms = ['SMS_API_URL', 'SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM'] as const;
    const set = sms.filter((key) => value[key] !== undefined);
    if (set.length > 0 && set.length < sms.length) {
      const missing = sms.find((key) => value[key] === undefined) ?? 'SMS_API_URL';
      ctx.addIssue({ code: 'custom', path: [missing], message: `must be set when ${set.join(', ')} is set` });
    }
    if (value.NOTIFICATION_RETRY_MAX_MS < value.NOTIFICATION_RETRY_BASE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFICATION_RETRY_MAX_MS'],
        message: 'must be at least NOTIFICATION_RETRY_BASE_MS',
      });
    }
  });
export type NotificationEnvConfig = z.infer<typeof notificationConfigSchema>;

export interface SmsSettings {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
}

/** The settings a service instance runs with (tests build this directly). */
export interface NotificationSettings {
  publicUrl: string;
  smtpUrl: string | null;
  smtpFrom: string;
  vapidSubject: string;
  sms: SmsSettings | null;
  reminderMinutes: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  allowPrivatePushEndpoints: boolean;
  /** How often the outbox worker looks for due deliveries besides being kicked. 0 turns the loop off. */
  pollIntervalMs: number;
  /** How often the reminder scheduler runs. 0 turns the loop off (tests drive it with a fake clock). */
  schedulerIntervalMs: number;
  /** How long a claimed delivery belongs to one worker. */
  leaseMs: number;
}

export function defaultSettings(overrides: Partial<NotificationSettings> = {}): NotificationSettings {
  return {
    publicUrl: 'http://localhost:8080',
    smtpUrl: null,
    smtpFrom: 'Origo <no-reply@localhost>',
    vapidSubject: 'mailto:admin@localhost',
    sms: null,
    reminderMinutes: 15,
    maxAttempts: 8,
    retryBaseMs: 30_000,
    retryMaxMs: 3_600_000,
    allowPrivatePushEndpoints: false,
    pollIntervalMs: 2000,
    schedulerIntervalMs: 30_000,
    leaseMs: 60_000,
    ...overrides,
  };
}

export function settingsFromEnv(config: NotificationEnvConfig): NotificationSettings {
  return defaultSettings({
    publicUrl: config.ORIGO_PUBLIC_URL.replace(/\/+$/, ''),
    smtpUrl: config.SMTP_URL ?? null,
    smtpFrom: config.SMTP_FROM,
    vapidSubject: config.VAPID_SUBJECT,
    sms:
      config.SMS_API_URL !== undefined &&
      config.SMS_ACCOUNT_SID !== undefined &&
      config.SMS_AUTH_TOKEN !== undefined &&
      config.SMS_FROM !== undefined
        ? {
            apiUrl: config.SMS_API_URL,
            accountSid: config.SMS_ACCOUNT_SID,
            authToken: config.SMS_AUTH_TOKEN,
            from: config.SMS_FROM,
          }
        : null,
    reminderMinutes: config.NOTIFICATION_REMINDER_MINUTES,
    maxAttempts: config.NOTIFICATION_MAX_ATTEMPTS,
    retryBaseMs: config.NOTIFICATION_RETRY_BASE_MS,
    retryMaxMs: config.NOTIFICATION_RETRY_MAX_MS,
    allowPrivatePushEndpoints: config.NOTIFICATION_PUSH_ALLOW_PRIVATE,
  });
}
