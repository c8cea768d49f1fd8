// A small repository over the fixture schema, written once against `Database` so it runs on PGlite and
// PostgreSQL alike. Each mutation writes its audit row in the same transaction as the change.
import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Database } from '@origo/kit/db';
import type * as schema from './fixtures/schema.js';
import { auditEvents, notes, type Note, type NoteId } from './fixtures/schema.js';

export type Schema = typeof schema;
export type AuditEvent = typeof auditEvents.$inferSelect;

export interface Actor {
  id: string;
  requestId?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const MAX_PAGE = 100;

function encodeCursor(note: Note): string {
  return Buffer.from(JSON.stringify([note.createdAt.toISOString(), note.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: NoteId } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed as unknown[];
      const createdAt = typeof at === 'string' ? new Date(at) : new Date(Number.NaN);
      if (!Number.isNaN(createdAt.getTime()) && typeof id === 'string')
        return { createdAt, id: id as NoteId };
    }
  } catch {
    // Fall through to the uniform error below.
  }
  throw new TypeError('invalid cursor');
}

export class NotesRepository {
  constructor(private readonly db: Database<Schema>) {}

  async create(input: { id: NoteId; body: string }, actor: Actor): Promise<Note> {
    return this.db.transaction(async (tx) => {
      const now = new Date();
      const [row] = await tx
        .insert(notes)
        .values({ ...input, createdAt: now, updatedAt: now, createdBy: actor.id, updatedBy: actor.id })
        .returning();
      if (row === undefined) throw new TypeError('insert returned no row');
      await this.audit(tx, actor, 'create', row.id, null, row);
      return row;
    });
  }

  async get(id: NoteId): Promise<Note | null> {
    const [row] = await this.db.select().from(notes).where(eq(notes.id, id)).limit(1);
    return row ?? null;
  }

  /** Oldest first; the cursor is opaque to callers and stable under concurrent inserts. */
  async list(opts: { limit: number; cursor?: string | null }): Promise<Page<Note>> {
    if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_PAGE) {
      throw new TypeError(`limit must be an integer from 1 to ${MAX_PAGE}`);
    }
    const after = opts.cursor == null ? undefined : decodeCursor(opts.cursor);
    const rows = await this.db
      .select()
      .from(notes)
      .where(
        after === undefined
          ? undefined
          : or(
              gt(notes.createdAt, after.createdAt),
              and(eq(notes.createdAt, after.createdAt), gt(notes.id, after.id)),
            ),
      )
      .orderBy(asc(notes.createdAt), asc(notes.id))
      .limit(opts.limit + 1);
    const items = rows.slice(0, opts.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > opts.limit && last !== undefined ? encodeCursor(last) : null };
  }

  async update(id: NoteId, body: string, actor: Actor): Promise<Note | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(notes).where(eq(notes.id, id)).for('update');
      if (before === undefined) return null;
      const [after] = await tx
        .update(notes)
        .set({ body, updatedAt: new Date(), updatedBy: actor.id })
        .where(eq(notes.id, id))
        .returning();
      if (after === undefined) throw new TypeError('update returned no row');
      await this.audit(tx, actor, 'update', id, before, after);
      return after;
    });
  }

  async delete(id: NoteId, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.delete(notes).where(eq(notes.id, id)).returning();
      if (before === undefined) return false;
      await this.audit(tx, actor, 'delete', id, before, null);
      return true;
    });
  }

  async auditTrail(id: NoteId): Promise<AuditEvent[]> {
    return this.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entity, 'note'), eq(auditEvents.entityId, id)))
      .orderBy(asc(auditEvents.id));
  }

  private async audit(
    tx: Database<Schema>,
    actor: Actor,
    action: AuditEvent['action'],
    id: NoteId,
    before: Note | null,
    after: Note | null,
  ): Promise<void> {
    await tx.insert(auditEvents).values({
      actor: actor.id,
      action,
      entity: 'note',
      entityId: id,
      before,
      after,
      requestId: actor.requestId ?? null,
    });
  }
}
