import type { Database } from '@origo/kit/db';
import { auditEvents } from './db/schema.js';
import type * as schema from './db/schema.js';

export type Schema = typeof schema;
export type Db = Database<Schema>;

export interface AuditEntry {
  /** Who did it: an identity (join token `sub`, a user id) or `service:<name>`. */
  actor: string;
  action: 'message.edited' | 'message.deleted' | 'hand.lowered';
  entity: 'chat_message' | 'raised_hand';
  entityId: string;
  meetingId: string;
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
export async function writeAudit(tx: Db, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    actor: entry.actor,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId,
    meetingId: entry.meetingId,
    before: snapshot(entry.before ?? null),
    after: snapshot(entry.after ?? null),
  });
}
