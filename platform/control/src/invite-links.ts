// Shareable invite links: a random bearer token per link, stored hashed, revocable, with an expiry.
import { and, asc, eq, gt, lte, or } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import { created, updated, writeAudit, type Actor, type Db } from './audit.js';
import { inviteLinks, type InviteLinkRow, type MeetingRow } from './db/schema.js';
import { newInviteLinkId, newSecret, type InviteLinkId, type MeetingId } from './ids.js';
import { assertOpen } from './meetings.js';
import { nextOccurrences } from './recurrence.js';
import { hashSecret } from './secrets.js';

const HOUR_MS = 3_600_000;
/** The longest a link may live; a host makes a new one for a series that runs longer. */
export const MAX_LINK_LIFETIME_MINUTES = 90 * 24 * 60;
const DAY_MS = 24 * HOUR_MS;

/**
 * How long a link lives when the host does not say: a day for an instant meeting; for a scheduled one,
 * until a day after the next occurrence ends (so a link sent a week ahead still works on the day).
 */
export function defaultLinkExpiry(meeting: MeetingRow, now: Date): Date {
  let until = now.getTime() + DAY_MS;
  if (meeting.startsAt !== null) {
    const [next] = nextOccurrences(
      {
        startsAt: meeting.startsAt,
        durationMinutes: meeting.durationMinutes,
        timeZone: meeting.timeZone,
        rrule: meeting.rrule,
      },
      now,
      1,
    );
    if (next !== undefined) until = Math.max(until, next.endsAt.getTime() + DAY_MS);
  }
  return new Date(Math.min(until, now.getTime() + MAX_LINK_LIFETIME_MINUTES * 60_000));
}

export class InviteLinkStore {
  constructor(private readonly db: Db) {}

  /** Creates a link; the token is returned here only (the row keeps its hash). */
  async create(
    meeting: MeetingRow,
    lifetimeMinutes: number | undefined,
    actor: Actor,
  ): Promise<{ row: InviteLinkRow; token: string }> {
    assertOpen(meeting);
    const token = newSecret();
    const now = new Date();
    const expiresAt =
      lifetimeMinutes === undefined
        ? defaultLinkExpiry(meeting, now)
        : new Date(now.getTime() + lifetimeMinutes * 60_000);
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(inviteLinks)
        .values({
          id: newInviteLinkId(),
          meetingId: meeting.id,
          orgId: meeting.orgId,
          tokenHash: hashSecret(token),
          expiresAt,
          ...created(actor, now),
        })
        .returning();
      if (row === undefined) throw AppError.internal('insert returned no row');
      await writeAudit(tx, actor, {
        action: 'invite_link.create',
        entity: 'invite_link',
        entityId: row.id,
        orgId: row.orgId,
        after: row,
      });
      return { row, token };
    });
  }

  async list(meetingId: MeetingId): Promise<InviteLinkRow[]> {
    return this.db
      .select()
      .from(inviteLinks)
      .where(eq(inviteLinks.meetingId, meetingId))
      .orderBy(asc(inviteLinks.createdAt), asc(inviteLinks.id));
  }

  async revoke(meeting: MeetingRow, id: InviteLinkId, actor: Actor): Promise<InviteLinkRow> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(inviteLinks)
        .where(and(eq(inviteLinks.id, id), eq(inviteLinks.meetingId, meeting.id)))
        .for('update');
      if (before === undefined) throw AppError.notFound('Invite link');
      if (before.status === 'revoked') return before;
      const [after] = await tx
        .update(inviteLinks)
        .set({ status: 'revoked', ...updated(actor, new Date()) })
        .where(eq(inviteLinks.id, id))
        .returning();
      if (after === undefined) throw AppError.internal('update returned no row');
      await writeAudit(tx, actor, {
        action: 'invite_link.revoke',
        entity: 'invite_link',
        entityId: id,
        orgId: before.orgId,
        before,
        after,
      });
      return after;
    });
  }

  /** The active, unexpired link of this meeting the token belongs to, if any. */
  async findActive(meetingId: MeetingId, token: string): Promise<InviteLinkRow | null> {
    const [row] = await this.db
      .select()
      .from(inviteLinks)
      .where(
        and(
          eq(inviteLinks.meetingId, meetingId),
          eq(inviteLinks.tokenHash, hashSecret(token)),
          eq(inviteLinks.status, 'active'),
          gt(inviteLinks.expiresAt, new Date()),
        ),
      )
      .limit(1);
    return row ?? null;
  }

  /**
   * Whether the token belongs to a link of this meeting that expired or was revoked. Only the holder of a
   * token that once worked learns this; any other token (mangled, made up, another meeting's) is unknown.
   */
  async isStale(meetingId: MeetingId, token: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: inviteLinks.id })
      .from(inviteLinks)
      .where(
        and(
          eq(inviteLinks.meetingId, meetingId),
          eq(inviteLinks.tokenHash, hashSecret(token)),
          or(eq(inviteLinks.status, 'revoked'), lte(inviteLinks.expiresAt, new Date())),
        ),
      )
      .limit(1);
    return row !== undefined;
  }
}
