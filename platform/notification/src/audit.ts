import type { Database } from '@origo/kit/db';
import { auditEvents } from './db/schema.js';
import type * as schema from './db/schema.js';

export type Schema = typeof schema;
export type Db = Database<Schema>;

/** Who performs a mutation, and the request it belongs to. */
export interface Actor {
  /** A user id, `anonymous` or `service:<name>`. */
  id: string;
  requestId?: string | undefined;
}

export interface AuditEntry {
  action: string;
  entity:
    'notification' | 'preference' | 'contact' | 'suppression' | 'push_subscription' | 'reminder_schedule';
  entityId: string;
  orgId?: string | null;
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
    orgId: entry.orgId ?? null,
    before: snapshot(entry.before ?? null),
    after: snapshot(entry.after ?? null),
    requestId: actor.requestId ?? null,
  });
}

export function created(actor: Actor, now: Date) {
  return { createdAt: now, updatedAt: now, createdBy: actor.id, updatedBy: actor.id };
}

export function updated(actor: Actor, now: Date) {
  return { updatedAt: now, updatedBy: actor.id };
}
