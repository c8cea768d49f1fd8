// Column sets every service's drizzle schema uses the same way. Each call returns new column builders, so
// a set can go into several tables.
import { bigint, jsonb, text, timestamp } from 'drizzle-orm/pg-core';

/** A timestamp with time zone at millisecond precision, so it round-trips through JS Date exactly. */
export const timestampMs = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** Who made and last changed a row (a user id, `anonymous`, a guest identity or `service:<name>`), and when. */
export const rowAuditColumns = () => ({
  createdAt: timestampMs('created_at').notNull().defaultNow(),
  updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * The columns of every service's `audit_events` table: who did what to which entity, when, with the
 * state before and after. Each service adds its scope (organization or meeting) and its indexes.
 */
export const auditEventColumns = () => ({
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  at: timestampMs('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  entity: text('entity').notNull(),
  entityId: text('entity_id').notNull(),
  before: jsonb('before'),
  after: jsonb('after'),
});

/** An audit row as an organization-scoped service stores it: the kit's columns, its scope and request. */
export interface OrgAuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  orgId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

/** The JSON an audit listing returns for one row, spelled the same by every service's listing. */
export function orgAuditView(row: OrgAuditRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    entity: row.entity,
    entityId: row.entityId,
    orgId: row.orgId,
    before: row.before,
    after: row.after,
    requestId: row.requestId,
  };
}
