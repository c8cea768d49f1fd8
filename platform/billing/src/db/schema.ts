// Drizzle schema of the billing service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import { bigint, boolean, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { auditEventColumns, rowAuditColumns, timestampMs as ts } from '@origo/kit/db';

const audited = rowAuditColumns();

/** A plan: its caps and its monthly price. Money is in the smallest unit of `currency`. */
export const plans = pgTable('plans', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Most participants in one meeting. */
  maxParticipants: integer('max_participants').notNull(),
  /** Longest meeting in minutes; 0 means no cap. */
  maxMeetingMinutes: integer('max_meeting_minutes').notNull(),
  recordingAllowed: boolean('recording_allowed').notNull(),
  /** Recording hours per month included; 0 with recording allowed means none included. */
  recordingHours: integer('recording_hours').notNull().default(0),
  /** Recording storage included, in GB. */
  storageGb: integer('storage_gb').notNull().default(0),
  priceMonthlyCents: integer('price_monthly_cents').notNull(),
  currency: text('currency').notNull().default('USD'),
  /** Offered to organizations; a retired plan keeps its subscribers. */
  active: boolean('active').notNull().default(true),
  ...audited,
});

/** One subscription per organization; an organization without a row is on the default (free) plan. */
export const subscriptions = pgTable('subscriptions', {
  orgId: text('org_id').primaryKey(),
  planId: text('plan_id')
    .notNull()
    .references(() => plans.id),
  periodStart: ts('period_start').notNull(),
  periodEnd: ts('period_end'),
  ...audited,
});

/**
 * One row per room instance (a meeting's room between start and end), locked while its usage is
 * recomputed so two events of one room never interleave their recomputations.
 */
export const meteredRooms = pgTable('metered_rooms', {
  roomKey: text('room_key').primaryKey(),
  orgId: text('org_id').notNull(),
  meetingId: text('meeting_id').notNull(),
  roomSid: text('room_sid').notNull(),
  eventCount: integer('event_count').notNull().default(0),
});

/** Every room event metered, once: the primary key is the reporter's event id. */
export const meteredEvents = pgTable(
  'metered_events',
  {
    eventId: text('event_id').primaryKey(),
    roomKey: text('room_key').notNull(),
    type: text('type').notNull(),
    identity: text('identity').notNull().default(''),
    occurredAt: ts('occurred_at').notNull(),
    receivedAt: ts('received_at').notNull().defaultNow(),
  },
  (t) => [index('metered_events_room_idx').on(t.roomKey, t.occurredAt)],
);

/**
 * What one room instance used on one UTC day, recomputed from all of the room's events whenever one
 * arrives, so late and out-of-order events correct the totals instead of adding to them.
 */
export const roomDayUsage = pgTable(
  'room_day_usage',
  {
    roomKey: text('room_key').notNull(),
    orgId: text('org_id').notNull(),
    /** UTC day, `YYYY-MM-DD`. */
    day: text('day').notNull(),
    participantMs: bigint('participant_ms', { mode: 'number' }).notNull(),
    meetingMs: bigint('meeting_ms', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.roomKey, t.day] }),
    index('room_day_usage_org_day_idx').on(t.orgId, t.day),
  ],
);

/** Every change to plans and subscriptions, with who made it and the state before and after. */
export const auditEvents = pgTable(
  'audit_events',
  {
    ...auditEventColumns(),
    /** The organization concerned; null for plan changes, which concern every subscriber. */
    orgId: text('org_id'),
    requestId: text('request_id'),
  },
  (t) => [index('audit_events_entity_idx').on(t.entity, t.entityId)],
);

export type PlanRow = typeof plans.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type MeteredEventRow = typeof meteredEvents.$inferSelect;
export type RoomDayUsageRow = typeof roomDayUsage.$inferSelect;
