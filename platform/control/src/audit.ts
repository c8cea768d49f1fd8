import type { Database } from '@origo/kit/db';
import type { OrgId } from './ids.js';
import { auditEvents } from './db/schema.js';
import type * as schema from './db/schema.js';

export type Schema = typeof schema;
export type Db = Database<Schema>;

/** Who performs a mutation, and the request it belongs to. */
export interface Actor {
  /** A user id, a guest identity, `anonymous`, or `service:<name>`. */
  id: string;
  requestId?: string | undefined;
  /** The signed-in user's address and name, when known (the host's address for reminders). */
  email?: string | undefined;
  name?: string | undefined;
}

export const SIGNALING_ACTOR: Actor = { id: 'service:signaling' };

// Hashes never reach the audit log: it is readable by org admins.
const SECRET_COLUMNS = new Set(['passcodeHash', 'tokenHash', 'ticketHash']);

function snapshot(row: object | null): Record<string, unknown> | null {
  if (row === null) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (SECRET_COLUMNS.has(key)) {
      out[key] = value === null || value === undefined ? null : '[redacted]';
      continue;
    }
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

export interface AuditEntry {
  action: string;
  entity: 'meeting' | 'invitation' | 'invite_link' | 'lobby_entry';
  entityId: string;
  orgId: OrgId;
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
    orgId: entry.orgId,
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

/** Postgres unique_violation, from either driver (drizzle may wrap the driver error as `cause`). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (typeof e === 'object' && (e as { code?: unknown }).code === '23505') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
