import { eq } from 'drizzle-orm';
import { created, writeAudit, type Actor, type Db } from './audit.js';
import { generateToken, hashToken, isTokenShaped } from './crypto.js';
import { sessions, users, type SessionRow, type UserRow } from './db/schema.js';
import type { UserId } from './ids.js';

export interface SessionSettings {
  idleMs: number;
  absoluteMs: number;
}

/** Why sessions ended, when every session of one account ended at once (`invalidateAllForUser`). */
export interface AllSessionsEnded {
  userId: UserId;
  /** `forced_sign_out`, `account_disabled`, `password_change`, `password_reset`, `oidc_link_unverified`. */
  reason: string;
}

/** Told the ids of sessions that ended, once the change is committed. */
export type SessionsEndedListener = (sessionIds: readonly string[], all?: AllSessionsEnded) => void;

interface EndedGroup {
  sessionIds: readonly string[];
  all?: AllSessionsEnded | undefined;
}

export interface ValidSession {
  session: SessionRow;
  user: UserRow;
}

/** The audit view of a session: its id is already a hash; the token itself is never stored. */
function sessionView(row: SessionRow) {
  return { id: row.id, userId: row.userId, expiresAt: row.expiresAt, ip: row.ip };
}

/**
 * Sessions on Lucia's model: the client holds a random token, the database holds its SHA-256. A
 * session ends at the first of its idle expiry (extended while in use) and its absolute expiry.
 */
export class SessionManager {
  /** Sessions ended inside a transaction opened by `transaction`, announced after it commits. */
  private readonly pending = new WeakMap<object, EndedGroup[]>();
  private readonly listeners: SessionsEndedListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly settings: SessionSettings,
    private readonly now: () => Date,
  ) {}

  /** Called with the ids of ended sessions (signed out, revoked, expired), after the commit. */
  onEnded(listener: SessionsEndedListener): void {
    this.listeners.push(listener);
  }

  /**
   * A transaction whose ended sessions are announced once it commits (and not at all if it rolls back),
   * so no other service refuses tokens of a session that still exists.
   */
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const ended: EndedGroup[] = [];
    const result = await this.db.transaction(async (tx) => {
      this.pending.set(tx, ended);
      return fn(tx);
    });
    for (const group of ended) this.announce(group.sessionIds, group.all);
    return result;
  }

  private ended(tx: Db, sessionIds: readonly string[], all?: AllSessionsEnded): void {
    const list = this.pending.get(tx);
    if (list === undefined) this.announce(sessionIds, all);
    else list.push({ sessionIds, all });
  }

  private announce(sessionIds: readonly string[], all?: AllSessionsEnded): void {
    if (sessionIds.length === 0) return;
    for (const listener of this.listeners) listener(sessionIds, all);
  }

  async create(
    tx: Db,
    userId: UserId,
    actor: Actor,
    client: { ip?: string | undefined; userAgent?: string | undefined },
  ): Promise<{ token: string; session: SessionRow }> {
    const token = generateToken();
    const now = this.now();
    const [session] = await tx
      .insert(sessions)
      .values({
        id: hashToken(token),
        userId,
        lastSeenAt: now,
        idleExpiresAt: new Date(now.getTime() + this.settings.idleMs),
        expiresAt: new Date(now.getTime() + this.settings.absoluteMs),
        ip: client.ip ?? null,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        ...created(actor, now),
      })
      .returning();
    if (session === undefined) throw new Error('session insert returned no row');
    await writeAudit(tx, actor, {
      action: 'session.create',
      entity: 'session',
      entityId: session.id,
      after: sessionView(session),
    });
    return { token, session };
  }

  /**
   * Resolves a token to its session and user, or null. Expired sessions are deleted; a disabled user has
   * no valid session. The idle expiry slides forward once half of it is used up, so an active session
   * costs one write per half idle period rather than one per request.
   */
  async validate(token: string, options: { slide?: boolean } = {}): Promise<ValidSession | null> {
    if (!isTokenShaped(token)) return null;
    return this.validateById(hashToken(token), options);
  }

  async validateById(sessionId: string, options: { slide?: boolean } = {}): Promise<ValidSession | null> {
    const [row] = await this.db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sessionId));
    if (row === undefined) return null;
    const now = this.now();
    if (now >= row.session.expiresAt || now >= row.session.idleExpiresAt) {
      // Housekeeping of an already-dead session, not a user-visible mutation: no audit row.
      await this.db.delete(sessions).where(eq(sessions.id, sessionId));
      this.announce([sessionId]);
      return null;
    }
    if (row.user.disabledAt !== null) return null;
    if (
      options.slide !== false &&
      row.session.idleExpiresAt.getTime() - now.getTime() < this.settings.idleMs / 2
    ) {
      const idleExpiresAt = new Date(
        Math.min(now.getTime() + this.settings.idleMs, row.session.expiresAt.getTime()),
      );
      await this.db
        .update(sessions)
        .set({ lastSeenAt: now, idleExpiresAt, updatedAt: now })
        .where(eq(sessions.id, sessionId));
      row.session.lastSeenAt = now;
      row.session.idleExpiresAt = idleExpiresAt;
    }
    return row;
  }

  async invalidate(tx: Db, sessionId: string, actor: Actor): Promise<boolean> {
    const [before] = await tx.delete(sessions).where(eq(sessions.id, sessionId)).returning();
    if (before === undefined) return false;
    this.ended(tx, [sessionId]);
    await writeAudit(tx, actor, {
      action: 'session.delete',
      entity: 'session',
      entityId: sessionId,
      before: sessionView(before),
    });
    return true;
  }

  /** Ends every session of a user (password change or reset, account disabled). */
  async invalidateAllForUser(tx: Db, userId: UserId, actor: Actor, reason: string): Promise<number> {
    const removed = await tx
      .delete(sessions)
      .where(eq(sessions.userId, userId))
      .returning({ id: sessions.id });
    this.ended(
      tx,
      removed.map((r) => r.id),
      { userId, reason },
    );
    if (removed.length > 0) {
      await writeAudit(tx, actor, {
        action: 'session.revoke_all',
        entity: 'user',
        entityId: userId,
        after: { reason, sessions: removed.length },
      });
    }
    return removed.length;
  }
}
