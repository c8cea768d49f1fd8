// The relay table a producing service (auth, control) keeps in its own schema. A row is written in the
// same transaction as the change that causes the notification, so the notification is neither lost
// when the notification service is down nor sent for a change that rolled back (the transactional
// outbox pattern); the pump then hands rows over by gRPC.
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** Which NotificationService RPC a row is for. */
export type RelayRpc = 'enqueue' | 'setReminderSchedule' | 'cancelReminderSchedule';

export const notificationRelay = pgTable(
  'notification_relay',
  {
    id: text('id').primaryKey(),
    rpc: text('rpc').$type<RelayRpc>().notNull(),
    /** The request in proto3 JSON; emptied once relayed, as it may hold one-time links. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** The producer's entity this row belongs to (an invitation id), for `onRelayed`. */
    ref: text('ref'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    /** While set and in the future, one pump owns the row. */
    leaseUntil: ts('lease_until'),
    lastError: text('last_error'),
    relayedAt: ts('relayed_at'),
    /** Set when the row was given up (refused as invalid, or still failing after the give-up age). */
    failedAt: ts('failed_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [
    index('notification_relay_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`relayed_at is null and failed_at is null`),
  ],
);

export type RelayRow = typeof notificationRelay.$inferSelect;
