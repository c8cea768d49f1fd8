import type { Database } from '@origo/kit/db';
import type { OrgId } from './ids.js';
import { auditEvents } from './db/schema.js';
import type * as schema from './db/schema.js';

export type Schema = typeof schema;
export type Db = Database<Schema>;

/** Who performs a mutation, and the request it belongs to. */
export interface Actor {
  /** A user id, `system`, or `anonymous`. */
  id: string;
  requestId?: string | undefined;
}

export const SYSTEM: Actor = { id: 'system' };

// Never copied into the audit log: it is readable by org admins and must hold no secrets.
const SECRET_COLUMNS = new Set(['passwordHash', 'privateJwkEncrypted', 'body', 'id_hash', 'tokenHash']);

function redact(row: object | null): Record<string, unknown> | null {
  if (row === null) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (SECRET_COLUMNS.has(key)) {
      if (value !== null && value !== undefined) out[key] = '[redacted]';
      continue;
    }
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

export interface AuditEntry {
  action: string;
  entity: string;
  entityId: string;
  orgId?: OrgId | null;
  before?: object | null;
  after?: object | null;
}

/** Writes one audit row; call it inside the mutation's transaction so both commit or neither does. */
export async function writeAudit(tx: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    actor: actor.id,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId,
    orgId: entry.orgId ?? null,
    before: redact(entry.before ?? null),
    after: redact(entry.after ?? null),
    requestId: actor.requestId ?? null,
  });
}

/** Sets the audit columns of a new row. */
export function created(actor: Actor, now: Date) {
  return { createdAt: now, updatedAt: now, createdBy: actor.id, updatedBy: actor.id };
}

/** Sets the audit columns of a changed row. */
export function updated(actor: Actor, now: Date) {
  return { updatedAt: now, updatedBy: actor.id };
}
