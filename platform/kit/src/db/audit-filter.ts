// The filters of every service's audit log listing (who, what, on which entity, when), read from the query
// string the same way everywhere and turned into one SQL condition over the kit's audit columns.
import { and, eq, gte, like, lt, or, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `is at most ${max} characters`);
const instant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date and time, e.g. 2026-05-01T00:00:00Z' })
  .transform((value) => new Date(value));

/**
 * Query fields of an audit listing: `actor` (a user id, `system`, ...), `action` (a prefix: `user.` or
 * `user.disable`), `target` (the entity id, or one part of a composite id such as a membership's
 * `org:user`), `from` (inclusive) and `to` (exclusive) as ISO 8601 instants.
 */
export const auditFilterQuery = {
  actor: text(256).optional(),
  action: text(100).optional(),
  target: text(256).optional(),
  from: instant.optional(),
  to: instant.optional(),
};

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** The columns the filter reads (every table built from `auditEventColumns` has them). */
export interface AuditFilterColumns {
  actor: AnyPgColumn;
  action: AnyPgColumn;
  entityId: AnyPgColumn;
  at: AnyPgColumn;
}

/** `value` with LIKE's wildcards escaped, to match it literally. */
function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Whether a filter's time range is empty (`to` not after `from`); callers refuse it as bad input. */
export function auditRangeProblem(filter: AuditFilter): string | null {
  if (filter.from !== undefined && filter.to !== undefined && filter.to <= filter.from)
    return 'must be after from';
  return null;
}

/**
 * The entity ids a `target` finds: the id itself, and composite ids (`<org>:<user>`, as membership events
 * are keyed) that hold it as one part, so a filter on a user id also finds their memberships.
 */
function targetWhere(column: AnyPgColumn, target: string): SQL | undefined {
  const literal = likeLiteral(target);
  return or(eq(column, target), like(column, `${literal}:%`), like(column, `%:${literal}`));
}

/** The SQL condition of a filter, or undefined when it filters nothing. */
export function auditFilterWhere(columns: AuditFilterColumns, filter: AuditFilter): SQL | undefined {
  return and(
    filter.actor === undefined ? undefined : eq(columns.actor, filter.actor),
    filter.action === undefined ? undefined : like(columns.action, `${likeLiteral(filter.action)}%`),
    filter.target === undefined ? undefined : targetWhere(columns.entityId, filter.target),
    filter.from === undefined ? undefined : gte(columns.at, filter.from),
    filter.to === undefined ? undefined : lt(columns.at, filter.to),
  );
}
