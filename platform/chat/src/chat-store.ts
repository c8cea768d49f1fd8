// The chat of each meeting: messages with a server-assigned id and order, the history a viewer may see,
// edit and delete with their permissions and audit, and the raised hands.
import { and, asc, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import { writeAudit, type Db } from './audit.js';
import {
  chatMessages,
  chatRooms,
  raisedHands,
  type ChatMessageRow,
  type RaisedHandRow,
} from './db/schema.js';
import { checkIdentity, checkMeetingId, checkMessageId, newMessageId } from './ids.js';
import { checkText, SenderRateLimiter, type ChatLimits } from './limits.js';

export interface PostInput {
  meetingId: string;
  senderIdentity: string;
  senderName: string;
  senderSid: string;
  text: string;
  /** Recipient of a private message; empty or undefined for everyone. */
  toIdentity?: string | undefined;
  toName?: string | undefined;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: ChatMessageRow[];
  hasMore: boolean;
}

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 50;
const MAX_NAME = 256;

const name = (value: string): string => value.slice(0, MAX_NAME);
/** Most messages written in one transaction. */
const MAX_BATCH = 200;

interface PendingPost {
  row: Omit<ChatMessageRow, 'seq'>;
  resolve: (row: ChatMessageRow) => void;
  reject: (err: unknown) => void;
}

export class ChatStore {
  private readonly rate: SenderRateLimiter;

  constructor(
    private readonly db: Db,
    private readonly limits: ChatLimits,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.rate = new SenderRateLimiter(limits);
  }

  /**
   * Stores a message with the meeting's next seq. Posts that arrive while a write is in flight are
   * stored together in the next transaction (group commit: one commit for many messages, which is what
   * bounds throughput on an embedded database). Within a transaction each meeting's counter row is
   * locked from taking its seqs until commit, so concurrent senders, and several chat instances on one
   * PostgreSQL, get distinct seqs without gaps; within a batch seqs follow arrival order.
   */
  post(input: PostInput): Promise<ChatMessageRow> {
    const meetingId = checkMeetingId(input.meetingId);
    const sender = checkIdentity(input.senderIdentity, 'sender_identity');
    const text = checkText(input.text, this.limits.maxMessageBytes);
    const to = input.toIdentity === undefined || input.toIdentity === '' ? null : input.toIdentity;
    if (to !== null) checkIdentity(to, 'to_identity');
    this.rate.take(`${meetingId}\n${sender}`);
    const row: Omit<ChatMessageRow, 'seq'> = {
      id: newMessageId(),
      meetingId,
      senderIdentity: sender,
      senderName: name(input.senderName),
      senderSid: input.senderSid.slice(0, 64),
      text,
      toIdentity: to,
      toName: to === null ? null : name(input.toName ?? ''),
      sentAt: this.now(),
      editedAt: null,
      deletedAt: null,
      deletedBy: null,
    };
    return new Promise((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private readonly pending: PendingPost[] = [];
  private writing = false;

  /** Writes every pending post, batch after batch, until none is left. */
  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const rows = await this.writeBatch(batch.map((p) => p.row));
          batch.forEach((p, i) => p.resolve(rows[i]!));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private writeBatch(rows: Array<Omit<ChatMessageRow, 'seq'>>): Promise<ChatMessageRow[]> {
    return this.db.transaction(async (tx) => {
      const byMeeting = new Map<string, number>();
      for (const r of rows) byMeeting.set(r.meetingId, (byMeeting.get(r.meetingId) ?? 0) + 1);
      // Meetings in a fixed order, so two instances locking several counters never deadlock.
      const next = new Map<string, number>();
      for (const [meetingId, count] of [...byMeeting].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
        const [counter] = await tx
          .insert(chatRooms)
          .values({ meetingId, lastSeq: count })
          .onConflictDoUpdate({
            target: chatRooms.meetingId,
            set: { lastSeq: sql`${chatRooms.lastSeq} + ${count}` },
          })
          .returning({ last: chatRooms.lastSeq });
        if (counter === undefined) throw AppError.internal('chat counter row missing');
        next.set(meetingId, counter.last - count + 1);
      }
      const values = rows.map((r) => {
        const seq = next.get(r.meetingId)!;
        next.set(r.meetingId, seq + 1);
        return { ...r, seq };
      });
      const inserted = await tx.insert(chatMessages).values(values).returning();
      const byId = new Map(inserted.map((r) => [r.id, r]));
      return values.map((v) => {
        const stored = byId.get(v.id);
        if (stored === undefined) throw AppError.internal('chat message insert returned nothing');
        return stored;
      });
    });
  }

  /** Changes a message's text; only its author may, and not once it is deleted. Audited. */
  async edit(input: {
    meetingId: string;
    messageId: string;
    actor: string;
    text: string;
  }): Promise<ChatMessageRow> {
    const meetingId = checkMeetingId(input.meetingId);
    const messageId = checkMessageId(input.messageId);
    const actor = checkIdentity(input.actor, 'actor_identity');
    const text = checkText(input.text, this.limits.maxMessageBytes);
    this.rate.take(`${meetingId}\n${actor}`);
    return this.db.transaction(async (tx) => {
      const before = await this.lockMessage(tx, meetingId, messageId);
      if (before.senderIdentity !== actor)
        throw new AppError('PERMISSION_DENIED', 'Only the author may edit a message', {
          reason: 'not_author',
        });
      if (before.deletedAt !== null)
        throw AppError.precondition('The message was deleted', 'message_deleted');
      const [after] = await tx
        .update(chatMessages)
        .set({ text, editedAt: this.now() })
        .where(eq(chatMessages.id, messageId))
        .returning();
      if (after === undefined) throw AppError.notFound('Message');
      await writeAudit(tx, {
        actor,
        action: 'message.edited',
        entity: 'chat_message',
        entityId: messageId,
        meetingId,
        before: { text: before.text, editedAt: before.editedAt },
        after: { text: after.text, editedAt: after.editedAt },
      });
      return after;
    });
  }

  /** Deletes a message: its author, or a host. The row stays (its seq too) with the text cleared. Audited. */
  async delete(input: {
    meetingId: string;
    messageId: string;
    actor: string;
    actorIsHost: boolean;
  }): Promise<ChatMessageRow> {
    const meetingId = checkMeetingId(input.meetingId);
    const messageId = checkMessageId(input.messageId);
    const actor = checkIdentity(input.actor, 'actor_identity');
    return this.db.transaction(async (tx) => {
      const before = await this.lockMessage(tx, meetingId, messageId);
      if (before.senderIdentity !== actor && !input.actorIsHost)
        throw new AppError('PERMISSION_DENIED', 'Only the author or a host may delete a message', {
          reason: 'not_author',
        });
      if (before.deletedAt !== null) return before;
      const [after] = await tx
        .update(chatMessages)
        .set({ text: '', deletedAt: this.now(), deletedBy: actor })
        .where(eq(chatMessages.id, messageId))
        .returning();
      if (after === undefined) throw AppError.notFound('Message');
      await writeAudit(tx, {
        actor,
        action: 'message.deleted',
        entity: 'chat_message',
        entityId: messageId,
        meetingId,
        before: { text: before.text, senderIdentity: before.senderIdentity },
        after: { deletedAt: after.deletedAt, deletedBy: actor, asHost: before.senderIdentity !== actor },
      });
      return after;
    });
  }

  /** A message as `viewer` may see it (private messages only to their two parties), or NOT_FOUND. */
  async get(meetingId: string, messageId: string, viewer: string): Promise<ChatMessageRow> {
    const [row] = await this.db
      .select()
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.meetingId, checkMeetingId(meetingId)),
          eq(chatMessages.id, checkMessageId(messageId)),
        ),
      );
    if (row === undefined || !visibleTo(row, viewer)) throw AppError.notFound('Message');
    return row;
  }

  /** One page of the history `viewer` may see: messages to everyone and private ones to or from them. */
  async history(input: {
    meetingId: string;
    viewer: string;
    beforeSeq?: number | undefined;
    limit?: number | undefined;
  }): Promise<HistoryPage> {
    const meetingId = checkMeetingId(input.meetingId);
    const viewer = checkIdentity(input.viewer, 'viewer_identity');
    const limit = input.limit === undefined || input.limit === 0 ? DEFAULT_PAGE : input.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw AppError.invalid('Invalid page size', [{ field: 'limit', message: `must be 1-${MAX_PAGE}` }]);
    const before = input.beforeSeq ?? 0;
    if (!Number.isSafeInteger(before) || before < 0)
      throw AppError.invalid('Invalid cursor', [
        { field: 'before_seq', message: `must be a seq from 0 (newest) to ${Number.MAX_SAFE_INTEGER}` },
      ]);
    const rows = await this.db
      .select()
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.meetingId, meetingId),
          before > 0 ? lt(chatMessages.seq, before) : undefined,
          or(
            isNull(chatMessages.toIdentity),
            eq(chatMessages.toIdentity, viewer),
            eq(chatMessages.senderIdentity, viewer),
          ),
        ),
      )
      .orderBy(desc(chatMessages.seq))
      .limit(limit + 1);
    const hasMore = rows.length > limit;
    return { messages: rows.slice(0, limit).reverse(), hasMore };
  }

  /** Raises a hand; raising again keeps the first time (and the place in the list). */
  async raiseHand(input: {
    meetingId: string;
    identity: string;
    name: string;
    participantSid: string;
  }): Promise<RaisedHandRow[]> {
    const meetingId = checkMeetingId(input.meetingId);
    const identity = checkIdentity(input.identity, 'identity');
    await this.db
      .insert(raisedHands)
      .values({
        meetingId,
        identity,
        name: name(input.name),
        participantSid: input.participantSid.slice(0, 64),
        raisedAt: this.now(),
      })
      .onConflictDoUpdate({
        target: [raisedHands.meetingId, raisedHands.identity],
        set: { participantSid: input.participantSid.slice(0, 64), name: name(input.name) },
      });
    return this.hands(meetingId);
  }

  /** Lowers a hand: one's own, or anyone's as host (audited then). Lowering a hand not raised is a no-op. */
  async lowerHand(input: {
    meetingId: string;
    identity: string;
    actor: string;
    actorIsHost: boolean;
  }): Promise<RaisedHandRow[]> {
    const meetingId = checkMeetingId(input.meetingId);
    const identity = checkIdentity(input.identity, 'identity');
    const actor = checkIdentity(input.actor, 'actor_identity');
    if (identity !== actor && !input.actorIsHost)
      throw new AppError('PERMISSION_DENIED', "Only a host may lower someone else's hand", {
        reason: 'not_host',
      });
    await this.db.transaction(async (tx) => {
      const [removed] = await tx
        .delete(raisedHands)
        .where(and(eq(raisedHands.meetingId, meetingId), eq(raisedHands.identity, identity)))
        .returning();
      if (removed !== undefined && identity !== actor)
        await writeAudit(tx, {
          actor,
          action: 'hand.lowered',
          entity: 'raised_hand',
          entityId: identity,
          meetingId,
          before: removed,
          after: null,
        });
    });
    return this.hands(meetingId);
  }

  /** Raised hands, earliest first. */
  async hands(meetingId: string): Promise<RaisedHandRow[]> {
    return this.db
      .select()
      .from(raisedHands)
      .where(eq(raisedHands.meetingId, checkMeetingId(meetingId)))
      .orderBy(asc(raisedHands.raisedAt), asc(raisedHands.identity));
  }

  private async lockMessage(tx: Db, meetingId: string, messageId: string): Promise<ChatMessageRow> {
    const [row] = await tx
      .select()
      .from(chatMessages)
      .where(and(eq(chatMessages.meetingId, meetingId), eq(chatMessages.id, messageId)))
      .for('update');
    if (row === undefined) throw AppError.notFound('Message');
    return row;
  }
}

export function visibleTo(row: ChatMessageRow, viewer: string): boolean {
  return row.toIdentity === null || row.toIdentity === viewer || row.senderIdentity === viewer;
}
