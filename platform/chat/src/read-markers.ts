// Read markers: per participant and meeting, the seq of the newest message its chat panel showed. A
// rejoining client learns its unread count from them instead of starting at zero.
import { and, count, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import type { Db } from './audit.js';
import { chatMessages, chatRooms, readMarkers } from './db/schema.js';
import { checkIdentity, checkMeetingId } from './ids.js';

export interface ReadState {
  /** Seq of the newest message marked read; 0 when none. */
  lastReadSeq: number;
  /** Messages from others after the marker that the reader may see and that are not deleted. */
  unreadCount: number;
}

export class ReadMarkers {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Moves `identity`'s marker forward to `seq`, never back and never past the meeting's newest message
   * (so a made-up seq cannot hide messages still to come). Returns the stored marker.
   */
  async mark(input: { meetingId: string; identity: string; seq: number }): Promise<number> {
    const meetingId = checkMeetingId(input.meetingId);
    const identity = checkIdentity(input.identity, 'identity');
    if (!Number.isSafeInteger(input.seq) || input.seq < 0)
      throw AppError.invalid('Invalid read marker', [{ field: 'seq', message: 'must be a seq (0 or more)' }]);
    const newest = sql`coalesce((select ${chatRooms.lastSeq} from ${chatRooms} where ${chatRooms.meetingId} = ${meetingId}), 0)`;
    const [row] = await this.db
      .insert(readMarkers)
      .values({
        meetingId,
        identity,
        lastReadSeq: sql`least(${input.seq}, ${newest})`,
        updatedAt: this.now(),
      })
      .onConflictDoUpdate({
        target: [readMarkers.meetingId, readMarkers.identity],
        set: {
          lastReadSeq: sql`greatest(${readMarkers.lastReadSeq}, excluded.last_read_seq)`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
      .returning({ lastReadSeq: readMarkers.lastReadSeq });
    if (row === undefined) throw AppError.internal('read marker upsert returned nothing');
    return row.lastReadSeq;
  }

  /** Where `viewer` stands in a meeting's chat. */
  async state(meetingId: string, viewer: string): Promise<ReadState> {
    const id = checkMeetingId(meetingId);
    const who = checkIdentity(viewer, 'viewer_identity');
    const [marker] = await this.db
      .select({ seq: readMarkers.lastReadSeq })
      .from(readMarkers)
      .where(and(eq(readMarkers.meetingId, id), eq(readMarkers.identity, who)));
    const lastReadSeq = marker?.seq ?? 0;
    const [unread] = await this.db
      .select({ n: count() })
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.meetingId, id),
          gt(chatMessages.seq, lastReadSeq),
          isNull(chatMessages.deletedAt),
          ne(chatMessages.senderIdentity, who),
          or(isNull(chatMessages.toIdentity), eq(chatMessages.toIdentity, who)),
        ),
      );
    return { lastReadSeq, unreadCount: unread?.n ?? 0 };
  }
}
