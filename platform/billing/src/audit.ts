import type { Database } from '@origo/kit/db';
import { auditEvents } from './db/schema.js';
import type * as schema from './db/schema.js';

export type Schema = typeof schema;
export type Db = Database<Schema>;

/** Who changed something: a user id or `service:<name>`, and the request that carried it. */
export interface Actor {
  id: string;
  requestId?: string | undefined;
}

export interface AuditEntry {
  action:
    | 'plan.created'
    | 'plan.updated'
    | 'subscription.changed'
    | 'org_billing.changed'
    | 'invoice.issued'
    | 'invoice.pushed'
    | 'invoice.paid'
    | 'invoice.payment_failed'
    | 'invoice.voided';
  entity: 'plan' | 'subscription' | 'org_billing' | 'invoice';
  entityId: string;
  orgId: string | null;
  before?: object | null;
  after?: object | null;
}

function snapshot(row: object | null): Record<string, unknown> | null {
  if (row === null) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row))
    out[key] = value instanceof Date ? value.toISOString() : value;
  return out;
}

/** Writes one audit row; call it inside the mutation's transaction so both commit or neither does. */
export async function writeAudit(tx: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    actor: actor.id,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId,
    orgId: entry.orgId,
    before: snapshot(entry.before ?? null),
    after: snapshot(entry.after ?? null),
    requestId: actor.requestId ?? null,
  });
}
