// Drizzle schema of the billing service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
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
  /**
   * Unit prices of usage beyond what the plan includes, in millionths of the smallest currency unit (a
   * participant-minute at 0.4 cents is 400000), so sub-cent prices stay integers. 0: not charged.
   */
  overageParticipantMinuteMicrocents: integer('overage_participant_minute_microcents').notNull().default(0),
  overageMeetingMinuteMicrocents: integer('overage_meeting_minute_microcents').notNull().default(0),
  /** Beyond `recording_hours` a month. */
  overageRecordingMinuteMicrocents: integer('overage_recording_minute_microcents').notNull().default(0),
  /** Beyond `storage_gb` held every day of the month. */
  overageStorageGbDayMicrocents: integer('overage_storage_gb_day_microcents').notNull().default(0),
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
    /** `egress`: the router's sent-bytes total when it was read; 0 for the other events. */
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
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
    /** Bytes the SFU sent to the room's participants that day. */
    egressBytes: bigint('egress_bytes', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.roomKey, t.day] }),
    index('room_day_usage_org_day_idx').on(t.orgId, t.day),
  ],
);

/** Every recording event metered, once: the primary key is the recording service's event id. */
export const meteredRecordingEvents = pgTable(
  'metered_recording_events',
  {
    eventId: text('event_id').primaryKey(),
    recordingId: text('recording_id').notNull(),
    type: text('type').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    /** `recording_ready`: bytes kept in the storage. */
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    /** `recording_ready`: the recording's length. */
    durationMs: bigint('duration_ms', { mode: 'number' }).notNull().default(0),
    receivedAt: ts('received_at').notNull().defaultNow(),
  },
  (t) => [index('metered_recording_events_recording_idx').on(t.recordingId)],
);

/**
 * One row per recording, recomputed from all of its events (locked meanwhile, like a room): its length,
 * and the bytes it keeps in the storage from `stored_at` until `deleted_at`, for storage GB-days and the
 * storage quota.
 */
export const meteredRecordings = pgTable(
  'metered_recordings',
  {
    recordingId: text('recording_id').primaryKey(),
    orgId: text('org_id').notNull(),
    meetingId: text('meeting_id').notNull(),
    startedAt: ts('started_at'),
    recordedMs: bigint('recorded_ms', { mode: 'number' }).notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    storedAt: ts('stored_at'),
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('metered_recordings_org_idx').on(t.orgId, t.storedAt)],
);

/** Recording time of one recording on one UTC day, replaced whenever the recording is recomputed. */
export const recordingDayUsage = pgTable(
  'recording_day_usage',
  {
    recordingId: text('recording_id').notNull(),
    orgId: text('org_id').notNull(),
    /** UTC day, `YYYY-MM-DD`. */
    day: text('day').notNull(),
    recordingMs: bigint('recording_ms', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recordingId, t.day] }),
    index('recording_day_usage_org_day_idx').on(t.orgId, t.day),
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

/**
 * Billing settings of one organization: its tax rate override and what the payment provider calls it.
 * An organization without a row uses BILLING_TAX_RATE_PERCENT and has nothing at the provider yet.
 */
export const orgBilling = pgTable('org_billing', {
  orgId: text('org_id').primaryKey(),
  /** Tax in millionths of the subtotal (190000 is 19 %); null: the installation's rate. */
  taxRatePpm: integer('tax_rate_ppm'),
  providerCustomerId: text('provider_customer_id'),
  providerSubscriptionId: text('provider_subscription_id'),
  /** The plan the provider's subscription was made for (it is replaced when the plan changes). */
  providerPlanId: text('provider_plan_id'),
  ...audited,
});

/** The last invoice number given out per year; locked while an invoice is numbered, so numbers have no gaps. */
export const invoiceCounters = pgTable('invoice_counters', {
  year: integer('year').primaryKey(),
  last: integer('last').notNull(),
});

/** A monthly statement of one organization. Money in the smallest unit of `currency`. */
export const invoices = pgTable(
  'invoices',
  {
    id: text('id').primaryKey(),
    /** `<prefix>-<year>-<6 digits>`, consecutive per year. */
    number: text('number').notNull().unique(),
    orgId: text('org_id').notNull(),
    /** The calendar month billed, `YYYY-MM` (UTC). */
    period: text('period').notNull(),
    periodStart: ts('period_start').notNull(),
    /** Exclusive: the first instant of the next month. */
    periodEnd: ts('period_end').notNull(),
    planId: text('plan_id').notNull(),
    planName: text('plan_name').notNull(),
    currency: text('currency').notNull(),
    subtotalCents: bigint('subtotal_cents', { mode: 'number' }).notNull(),
    taxRatePpm: integer('tax_rate_ppm').notNull(),
    taxCents: bigint('tax_cents', { mode: 'number' }).notNull(),
    totalCents: bigint('total_cents', { mode: 'number' }).notNull(),
    /** `due`, `paid` or `void`. */
    status: text('status').notNull(),
    issuedAt: ts('issued_at').notNull(),
    dueAt: ts('due_at').notNull(),
    paidAt: ts('paid_at'),
    voidedAt: ts('voided_at'),
    /** The provider's last word on a failed payment; the invoice stays due. */
    paymentFailedAt: ts('payment_failed_at'),
    paymentError: text('payment_error'),
    /** Where the invoice was pushed (`stripe`); null while not pushed or without a provider. */
    provider: text('provider'),
    providerInvoiceId: text('provider_invoice_id'),
    ...audited,
  },
  (t) => [
    uniqueIndex('invoices_org_period_idx').on(t.orgId, t.period),
    index('invoices_status_idx').on(t.status),
    index('invoices_provider_invoice_idx').on(t.providerInvoiceId),
  ],
);

/** The lines of an invoice, in the order printed. */
export const invoiceLines = pgTable(
  'invoice_lines',
  {
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    position: integer('position').notNull(),
    /** `plan`, `participant_minutes`, `meeting_minutes`, `recording_minutes`, `storage_gb_days`. */
    kind: text('kind').notNull(),
    description: text('description').notNull(),
    unit: text('unit').notNull(),
    quantity: bigint('quantity', { mode: 'number' }).notNull(),
    /** What the plan includes; only the rest is charged. */
    included: bigint('included', { mode: 'number' }).notNull(),
    billable: bigint('billable', { mode: 'number' }).notNull(),
    unitPriceMicrocents: bigint('unit_price_microcents', { mode: 'number' }).notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.invoiceId, t.position] })],
);

/** Every payment-provider webhook event applied, once: a replayed event id is refused. */
export const providerEvents = pgTable('provider_events', {
  eventId: text('event_id').primaryKey(),
  provider: text('provider').notNull(),
  type: text('type').notNull(),
  invoiceId: text('invoice_id'),
  receivedAt: ts('received_at').notNull().defaultNow(),
});

export type PlanRow = typeof plans.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type MeteredEventRow = typeof meteredEvents.$inferSelect;
export type RoomDayUsageRow = typeof roomDayUsage.$inferSelect;
export type OrgBillingRow = typeof orgBilling.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
