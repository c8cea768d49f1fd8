// Who a host removed from a meeting. Join tokens are refused for them until a host allows them back; the
// record lives in control's database with the meeting, so the refusal does not depend on signaling having
// seen the command or on a guest keeping the identity of their first join.
import { createHash } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { AppError, ErrorCode } from '@origo/kit';
import { created, updated, writeAudit, type Actor, type Db } from './audit.js';
import { participantRemovals, type MeetingRow, type ParticipantRemovalRow } from './db/schema.js';
import { newGuestIdentity, type MeetingId } from './ids.js';

/** What a guest's join proves about who they are, strongest first. */
export interface GuestEvidence {
  /** An e-mail invitation names one person, whichever browser they use. */
  invitationId?: string | undefined;
  /** A random key the browser keeps in its storage and sends with each join. */
  deviceKey?: string | undefined;
}

/**
 * The identity a guest's join token carries in one meeting: derived from their e-mail invitation, else
 * from their browser's device key, so the same person joining again is the same participant (and stays
 * removed). Hashed with the meeting id: nothing links a guest across meetings, and the identity, which
 * every participant sees, does not reveal the key. Without either a guest is new on every join (a
 * client that sends no device key, a fresh private window), as in any meeting product.
 */
export function guestIdentity(meetingId: MeetingId, evidence: GuestEvidence): string {
  const source =
    evidence.invitationId !== undefined
      ? `invitation:${evidence.invitationId}`
      : evidence.deviceKey !== undefined
        ? `device:${evidence.deviceKey}`
        : undefined;
  if (source === undefined) return newGuestIdentity();
  const digest = createHash('sha256').update(`${meetingId}\n${source}`).digest('base64url');
  return `gst_${digest.slice(0, 22)}`;
}

/** The refusal a removed person gets instead of a join token. */
export function removedError(): AppError {
  return new AppError(ErrorCode.PERMISSION_DENIED, 'The host removed you from this meeting', {
    reason: 'removed_by_host',
  });
}

export class RemovalStore {
  constructor(private readonly db: Db) {}

  /** Records the removal (again: keeps the first time, updates the name) with its audit row. */
  async remove(meeting: MeetingRow, identity: string, displayName: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      const now = new Date();
      const [row] = await tx
        .insert(participantRemovals)
        .values({
          meetingId: meeting.id,
          orgId: meeting.orgId,
          identity,
          displayName,
          ...created(actor, now),
        })
        .onConflictDoUpdate({
          target: [participantRemovals.meetingId, participantRemovals.identity],
          set: { ...(displayName === '' ? {} : { displayName }), ...updated(actor, now) },
        })
        .returning();
      await writeAudit(tx, actor, {
        action: 'meeting.participant_removed',
        entity: 'meeting',
        entityId: meeting.id,
        orgId: meeting.orgId,
        after: { identity, display_name: row?.displayName ?? displayName },
      });
    });
  }

  /** Lets a removed person join again; false when they were not removed (nothing is written then). */
  async allow(meeting: MeetingRow, identity: string, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx
        .delete(participantRemovals)
        .where(and(eq(participantRemovals.meetingId, meeting.id), eq(participantRemovals.identity, identity)))
        .returning();
      if (before === undefined) return false;
      await writeAudit(tx, actor, {
        action: 'meeting.participant_allowed',
        entity: 'meeting',
        entityId: meeting.id,
        orgId: meeting.orgId,
        before: { identity, display_name: before.displayName },
      });
      return true;
    });
  }

  async isRemoved(meetingId: MeetingId, identity: string): Promise<boolean> {
    const [row] = await this.db
      .select({ identity: participantRemovals.identity })
      .from(participantRemovals)
      .where(and(eq(participantRemovals.meetingId, meetingId), eq(participantRemovals.identity, identity)))
      .limit(1);
    return row !== undefined;
  }

  /** Removed people of a meeting, in the order they were removed. */
  async list(meetingId: MeetingId): Promise<ParticipantRemovalRow[]> {
    return this.db
      .select()
      .from(participantRemovals)
      .where(eq(participantRemovals.meetingId, meetingId))
      .orderBy(asc(participantRemovals.createdAt), asc(participantRemovals.identity));
  }
}
