import { fileURLToPath } from 'node:url';
import type { Agent } from 'node:https';
import {
  createGrpcServer,
  createHttpService,
  httpAndGrpc,
  type BoundAddresses,
  type ListenOptions,
  createLogger,
  createMetrics,
  type GrpcServer,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import { installAccessControl, type PrincipalResolver } from '@origo/auth/client';
import type { Schema } from './audit.js';
import { createLocalOutboxSender, createSmtpSender } from './channels/email.js';
import { createPushSender, type VapidKeys } from './channels/push.js';
import { createSmsSender, FormPostSmsProvider, type SmsProvider } from './channels/sms.js';
import type { ChannelSender } from './channels/types.js';
import { defaultSettings, type NotificationSettings } from './config.js';
import * as schema from './db/schema.js';
import { addNotificationGrpc } from './grpc.js';
import { registerRoutes } from './http/routes.js';
import type { Channel } from './kinds.js';
import { Outbox } from './outbox.js';
import { PreferenceStore } from './preferences.js';
import { ReminderScheduler } from './reminders.js';
import { DeliveryWorker } from './worker.js';

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const NOTIFICATION_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type NotificationDatabase = DatabaseHandle<Schema>;

/** Opens the notification database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export const openNotificationDatabase = databaseOpener('notification', schema, NOTIFICATION_MIGRATIONS);

export interface NotificationServiceDeps {
  database: NotificationDatabase;
  /** Who is calling the REST API (see @origo/control/access createPrincipalResolver). */
  resolvePrincipal: PrincipalResolver;
  /** Signs one-click unsubscribe links (>= 32 characters; from the secret store). */
  unsubscribeSecret: string;
  vapid: VapidKeys;
  settings?: Partial<NotificationSettings>;
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** Clock for the outbox and the reminder scheduler; tests move it. */
  now?: () => Date;
  /** Extra nodemailer transport options (tests: TLS trust for a local SMTP peer). */
  smtpTransport?: Record<string, unknown>;
  /** HTTPS agent for push services (tests: trust for a local endpoint's certificate). */
  pushAgent?: Agent;
  /** Overrides the SMS provider built from settings.sms. */
  smsProvider?: SmsProvider;
}

export interface NotificationService {
  http: HttpService;
  grpc: GrpcServer;
  settings: NotificationSettings;
  outbox: Outbox;
  worker: DeliveryWorker;
  reminders: ReminderScheduler;
  preferences: PreferenceStore;
  /** Channels with a transport. */
  available: ReadonlySet<Channel>;
  listen(options?: ListenOptions): Promise<BoundAddresses>;
  setDraining(): void;
  close(): Promise<void>;
}

export async function createNotificationService(deps: NotificationServiceDeps): Promise<NotificationService> {
  const settings = defaultSettings(deps.settings);
  const logger = deps.logger ?? createLogger({ service: 'notification', level: 'silent' });
  const metrics = deps.metrics ?? createMetrics('notification', { defaultMetrics: false });
  const now = deps.now ?? (() => new Date());
  if (deps.unsubscribeSecret.length < 32)
    throw new TypeError('unsubscribeSecret must be at least 32 characters');
  const db = deps.database.db;
  const preferences = new PreferenceStore(db, now);

  const senders = new Map<Channel, ChannelSender>();
  senders.set(
    'email',
    settings.smtpUrl === null
      ? createLocalOutboxSender()
      : createSmtpSender({
          smtpUrl: settings.smtpUrl,
          from: settings.smtpFrom,
          ...(deps.smtpTransport === undefined ? {} : { transport: deps.smtpTransport }),
        }),
  );
  senders.set(
    'push',
    createPushSender({
      vapid: deps.vapid,
      subject: settings.vapidSubject,
      lookup: (id) => preferences.pushSubscription(id),
      forget: (id) => preferences.forgetPushSubscription(id, { id: 'service:notification' }),
      ...(deps.pushAgent === undefined ? {} : { agent: deps.pushAgent }),
    }),
  );
  const smsProvider =
    deps.smsProvider ?? (settings.sms === null ? null : new FormPostSmsProvider(settings.sms));
  if (smsProvider !== null) senders.set('sms', createSmsSender(smsProvider));
  const available = new Set(senders.keys());

  const worker = new DeliveryWorker({
    db,
    senders,
    now,
    logger,
    retryBaseMs: settings.retryBaseMs,
    retryMaxMs: settings.retryMaxMs,
    leaseMs: settings.leaseMs,
    pollIntervalMs: settings.pollIntervalMs,
    registry: metrics.registry,
  });
  const outbox = new Outbox({
    preferences,
    now,
    publicUrl: settings.publicUrl,
    unsubscribeSecret: deps.unsubscribeSecret,
    maxAttempts: settings.maxAttempts,
    available,
  });
  const reminders = new ReminderScheduler({
    db,
    outbox,
    now,
    logger,
    defaultMinutesBefore: settings.reminderMinutes,
    intervalMs: settings.schedulerIntervalMs,
    onEnqueued: () => worker.kick(),
  });

  const http = createHttpService({
    service: 'notification',
    logger,
    metrics,
    // SMTP, push services and SMS providers are not readiness checks: the outbox keeps mail while
    // they are down, so the service is ready whenever it can store notifications.
    readiness: [{ name: 'database', check: () => deps.database.ping() }],
    bodyLimit: 64 * 1024,
    trustProxy: true,
  });
  const app = http.app;
  installAccessControl(app, deps.resolvePrincipal, {
    exempt: (url) => url.startsWith('/health') || url === '/metrics' || url === '*',
  });
  registerRoutes(app, {
    db,
    preferences,
    available,
    vapidPublicKey: deps.vapid.publicKey,
    unsubscribeSecret: deps.unsubscribeSecret,
    allowPrivatePushEndpoints: settings.allowPrivatePushEndpoints,
  });
  await app.ready();

  const grpc = createGrpcServer({ service: 'notification', logger, metrics });
  addNotificationGrpc(grpc, { db, outbox, reminders, onEnqueued: () => worker.kick() });

  worker.start();
  reminders.start();

  let closing: Promise<void> | undefined;
  const listeners = httpAndGrpc(http, grpc);
  return {
    http,
    grpc,
    settings,
    outbox,
    worker,
    reminders,
    preferences,
    available,
    listen: (options) => listeners.listen(options),
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        await listeners.close();
        await reminders.stop();
        await worker.stop();
        for (const sender of senders.values()) await sender.close();
      })();
      return closing;
    },
  };
}
