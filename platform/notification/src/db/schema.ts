// Drizzle schema of the notification service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { auditEventColumns, rowAuditColumns, timestampMs as ts } from '@origo/kit/db';

const auditColumns = rowAuditColumns();

export const channel = pgEnum('channel', ['email', 'push', 'sms']);
export const deliveryStatus = pgEnum('delivery_status', ['pending', 'sending', 'delivered', 'failed']);

/** One notification as a producer asked for it; its idempotency key makes the request happen once. */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind').notNull(),
    orgId: text('org_id'),
    userId: text('user_id'),
    /** Recipient as given (user id, e-mail, phone, name). */
    recipient: jsonb('recipient').$type<Record<string, string>>().notNull(),
    /** Template parameters (proto3 JSON of the params case). */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    ...auditColumns,
  },
  (t) => [uniqueIndex('notifications_idempotency_idx').on(t.idempotencyKey)],
);

/**
 * The outbox: one row per channel and address of a notification, rendered at enqueue time so a retry
 * sends the same bytes and admins read exactly what went out.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    notificationId: text('notification_id')
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    channel: channel('channel').notNull(),
    /** E-mail address, phone number, or push subscription id. */
    address: text('address').notNull(),
    status: deliveryStatus('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    /** While status is `sending`: after this instant another worker may take the row over. */
    leaseUntil: ts('lease_until'),
    lastError: text('last_error'),
    subject: text('subject').notNull(),
    bodyText: text('body_text').notNull(),
    bodyHtml: text('body_html'),
    /** Channel extras: e-mail headers, the push payload. */
    extra: jsonb('extra').$type<Record<string, unknown>>().notNull(),
    /** The peer's id for the message (SMTP Message-ID, SMS sid, push location). */
    providerId: text('provider_id'),
    deliveredAt: ts('delivered_at'),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex('deliveries_notification_channel_address_idx').on(t.notificationId, t.channel, t.address),
    index('deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`status in ('pending', 'sending')`),
    index('deliveries_created_idx').on(t.createdAt, t.id),
  ],
);

/** Channels a user chose per kind; no row means the kind's defaults. */
export const preferences = pgTable(
  'preferences',
  {
    userId: text('user_id').notNull(),
    kind: text('kind').notNull(),
    channels: text('channels').array().notNull(),
    ...auditColumns,
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind] })],
);

/** Where a user is reached: e-mail as auth or the user last told us, phone from the preferences. */
export const contacts = pgTable('contacts', {
  userId: text('user_id').primaryKey(),
  email: text('email'),
  phone: text('phone'),
  displayName: text('display_name'),
  ...auditColumns,
});

/** Addresses without an account (invited guests) that unsubscribed from a kind. */
export const suppressions = pgTable(
  'suppressions',
  {
    address: text('address').notNull(),
    kind: text('kind').notNull(),
    ...auditColumns,
  },
  (t) => [primaryKey({ columns: [t.address, t.kind] })],
);

/** Web push subscriptions (W3C Push API) of a user's browsers. */
export const pushSubscriptions = pgTable(
  'push_subscriptions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    endpoint: text('endpoint').notNull(),
    /** The browser's P-256 public key and auth secret (RFC 8291), base64url. */
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    userAgent: text('user_agent'),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex('push_subscriptions_endpoint_idx').on(t.endpoint),
    index('push_subscriptions_user_idx').on(t.userId),
  ],
);

/** A meeting's occurrences and who to remind, as control last sent them. */
export const reminderSchedules = pgTable(
  'reminder_schedules',
  {
    meetingId: text('meeting_id').primaryKey(),
    orgId: text('org_id').notNull(),
    title: text('title').notNull(),
    startsAt: ts('starts_at').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    timeZone: text('time_zone').notNull(),
    rrule: text('rrule'),
    joinUrl: text('join_url').notNull(),
    recipients: jsonb('recipients').$type<Array<Record<string, string>>>().notNull(),
    minutesBefore: integer('minutes_before').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    cancelled: boolean('cancelled').notNull().default(false),
    /** Start of the latest occurrence already reminded of (or skipped); later ones are still due. */
    handledThrough: ts('handled_through'),
    /** When the next reminder is due; null when no occurrence is left. */
    nextFireAt: ts('next_fire_at'),
    /** The occurrence that reminder is for. */
    nextOccurrenceAt: ts('next_occurrence_at'),
    ...auditColumns,
  },
  (t) => [
    index('reminder_schedules_due_idx')
      .on(t.nextFireAt)
      .where(sql`not cancelled`),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    ...auditEventColumns(),
    orgId: text('org_id'),
    requestId: text('request_id'),
  },
  (t) => [index('audit_events_entity_idx').on(t.entity, t.entityId)],
);

export type NotificationRow = typeof notifications.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
export type PreferenceRow = typeof preferences.$inferSelect;
export type ContactRow = typeof contacts.$inferSelect;
export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;
export type ReminderScheduleRow = typeof reminderSchedules.$inferSelect;
