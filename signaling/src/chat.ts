// Chat, reactions, raised hands and typing of joined participants. What must last (messages, edits,
// deletions, hands) goes to the chat role first, which assigns ids and order and enforces limits and
// permissions; then everything is published on the room's bus channel, and every node (this one
// included) delivers it to the sessions it holds that may see it.
import { AppError, ErrorCode as AppCode } from '@origo/kit';
import { chatChangeSchema, toSignalMessage } from '@origo/chat/contracts';
import type { DecodedSignalRequest } from '@origo/proto/json';
import { ErrorCode, ReactionKind, type RaisedHand, type SignalResponse } from '@origo/proto/signal';
import type { ChatBackend, Hand } from './chatBackend.js';
import type { ChatEvent } from './chatEvents.js';
import type { NodeContext } from './context.js';
import { SignalError } from './errors.js';
import { push, response } from './responses.js';
import type { LocalRoom } from './room.js';
import type { Session } from './session.js';

type Msg = DecodedSignalRequest['message'];
export type ChatRequest = Extract<
  Msg,
  {
    $case:
      | 'sendChat'
      | 'editChat'
      | 'deleteChat'
      | 'chatHistory'
      | 'sendReaction'
      | 'raiseHand'
      | 'lowerHand'
      | 'typing'
      | 'markChatRead';
  }
>;

export const CHAT_REQUESTS: ReadonlySet<string> = new Set([
  'sendChat',
  'editChat',
  'deleteChat',
  'chatHistory',
  'sendReaction',
  'raiseHand',
  'lowerHand',
  'typing',
  'markChatRead',
]);

export function isChatRequest(m: Msg): m is ChatRequest {
  return CHAT_REQUESTS.has(m.$case);
}

/** The chat role's errors as the client's codes: a rate limit and an oversize message have their own. */
function chatError(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  if (err.code === AppCode.RESOURCE_EXHAUSTED)
    return new SignalError(ErrorCode.ERROR_CODE_RATE_LIMITED, err.message, 'chat_rate_limited');
  if (err.reason === 'message_too_large')
    return new SignalError(ErrorCode.ERROR_CODE_MESSAGE_TOO_LARGE, err.message, 'chat_too_large');
  if (err.code === AppCode.INVALID_ARGUMENT)
    return new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, err.message, 'chat_invalid');
  return err;
}

const toRaisedHand = (h: Hand): RaisedHand => ({
  participantSid: h.participantSid,
  identity: h.identity,
  name: h.name,
  raisedAt: h.raisedAtMs,
});

export class ChatRelay {
  /** Per session, the chat requests in arrival order (a participant's messages keep their order). */
  private readonly queues = new WeakMap<Session, Promise<void>>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly backend: ChatBackend,
  ) {}

  /** Runs `work` after the session's earlier chat requests; `work` reports its own failures. */
  enqueue(session: Session, work: () => Promise<void>): void {
    const next = (this.queues.get(session) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.ctx.logger.warn({ err, participant_sid: session.sid }, 'chat request failed');
    });
    this.queues.set(session, next);
  }

  /** Runs one chat request of `session`; the reply (or an error) goes to it, the rest over the bus. */
  async handle(session: Session, requestId: string, m: ChatRequest): Promise<void> {
    try {
      await this.dispatch(session, requestId, m);
    } catch (err) {
      throw chatError(err);
    }
  }

  private async dispatch(session: Session, rid: string, m: ChatRequest): Promise<void> {
    const room = session.room.name;
    const me = session.claims.identity;
    switch (m.$case) {
      case 'sendChat': {
        const to =
          m.value.toParticipantSid === ''
            ? undefined
            : await this.participant(session, m.value.toParticipantSid);
        const stored = await this.backend.post({
          meetingId: room,
          senderIdentity: me,
          senderName: session.info.name,
          senderSid: session.sid,
          text: m.value.text,
          toIdentity: to?.identity ?? '',
          toName: to?.name ?? '',
        });
        const message = toSignalMessage(stored);
        session.send(response(rid, 'chatMessage', message));
        await this.publish(room, { t: 'chat', kind: 'message', message, from: session.sid });
        return;
      }
      case 'editChat': {
        const message = toSignalMessage(
          await this.backend.edit({
            meetingId: room,
            messageId: m.value.messageId,
            actorIdentity: me,
            text: m.value.text,
          }),
        );
        session.send(response(rid, 'chatEdited', message));
        await this.publish(room, { t: 'chat', kind: 'edited', message, from: session.sid });
        return;
      }
      case 'deleteChat': {
        const stored = await this.backend.delete({
          meetingId: room,
          messageId: m.value.messageId,
          actorIdentity: me,
          actorIsHost: session.claims.grants.host,
        });
        const deleted = { messageId: stored.id, seq: stored.seq, deletedBy: stored.deletedBy || me };
        session.send(response(rid, 'chatDeleted', deleted));
        await this.publish(room, {
          t: 'chatDeleted',
          ...deleted,
          sender: stored.senderIdentity,
          to: stored.toIdentity,
          from: session.sid,
        });
        return;
      }
      case 'chatHistory': {
        const page = await this.backend.list({
          meetingId: room,
          viewerIdentity: me,
          beforeSeq: m.value.beforeSeq,
          limit: m.value.limit,
        });
        session.send(
          response(rid, 'chatHistory', {
            messages: page.messages.map(toSignalMessage),
            hasMore: page.hasMore,
            lastReadSeq: page.lastReadSeq,
            unreadCount: page.unreadCount,
          }),
        );
        // The first page is what a client asks for as it joins: it learns the raised hands with it.
        if (m.value.beforeSeq === 0)
          session.send(push('handsChanged', { hands: (await this.backend.hands(room)).map(toRaisedHand) }));
        return;
      }
      case 'sendReaction': {
        const kind = m.value.kind;
        if (kind === ReactionKind.REACTION_KIND_UNSPECIFIED)
          throw new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, 'reaction kind is required');
        this.ack(session, rid);
        await this.publish(room, { t: 'reaction', sid: session.sid, name: session.info.name, kind });
        return;
      }
      case 'raiseHand': {
        const hands = await this.backend.raiseHand({
          meetingId: room,
          identity: me,
          name: session.info.name,
          participantSid: session.sid,
        });
        this.ack(session, rid);
        await this.publish(room, { t: 'hands', hands: hands.map(toRaisedHand) });
        return;
      }
      case 'lowerHand': {
        const sid = m.value.participantSid;
        const target =
          sid === '' || sid === session.sid ? me : (await this.participant(session, sid)).identity;
        if (target !== me && !session.claims.grants.host)
          throw new SignalError(
            ErrorCode.ERROR_CODE_PERMISSION_DENIED,
            "only a host may lower someone else's hand",
          );
        const hands = await this.backend.lowerHand({
          meetingId: room,
          identity: target,
          actorIdentity: me,
          actorIsHost: session.claims.grants.host,
        });
        this.ack(session, rid);
        await this.publish(room, { t: 'hands', hands: hands.map(toRaisedHand) });
        return;
      }
      case 'markChatRead':
        await this.backend.markRead({ meetingId: room, identity: me, seq: m.value.seq });
        this.ack(session, rid);
        return;
      case 'typing':
        this.ack(session, rid);
        await this.publish(room, {
          t: 'typing',
          sid: session.sid,
          name: session.info.name,
          typing: m.value.typing,
        });
        return;
    }
  }

  /**
   * An edit or delete made over REST, announced by the chat role (CHAT_CHANGES_CHANNEL). Every node
   * receives it and delivers it to the sessions of that meeting it holds, the author's included.
   */
  onChange(raw: unknown): void {
    const parsed = chatChangeSchema.safeParse(raw);
    if (!parsed.success) {
      this.ctx.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring a malformed chat change');
      return;
    }
    const { kind, meetingId, deletedBy, message } = parsed.data;
    const room = this.ctx.rooms.get(meetingId);
    if (!room) return;
    this.onEvent(
      room,
      kind === 'edited'
        ? { t: 'chat', kind: 'edited', message, from: '' }
        : {
            t: 'chatDeleted',
            messageId: message.id,
            seq: message.seq,
            deletedBy,
            sender: message.senderIdentity,
            to: message.toIdentity,
            from: '',
          },
    );
  }

  /** A chat event from the bus: delivered to the sessions of this node that may see it. */
  onEvent(room: LocalRoom, event: ChatEvent): void {
    switch (event.t) {
      case 'chat': {
        const message: SignalResponse =
          event.kind === 'message' ? push('chatMessage', event.message) : push('chatEdited', event.message);
        this.deliver(room, message, event.message.senderIdentity, event.message.toIdentity, event.from);
        return;
      }
      case 'chatDeleted':
        this.deliver(
          room,
          push('chatDeleted', { messageId: event.messageId, seq: event.seq, deletedBy: event.deletedBy }),
          event.sender,
          event.to,
          event.from,
        );
        return;
      case 'reaction':
        room.broadcast(push('reaction', { participantSid: event.sid, name: event.name, kind: event.kind }));
        return;
      case 'hands':
        room.broadcast(push('handsChanged', { hands: event.hands }));
        return;
      case 'typing':
        room.broadcast(
          push('typing', { participantSid: event.sid, name: event.name, typing: event.typing }),
          event.sid,
        );
        return;
    }
  }

  /** To everyone (empty `to`), or only to the sessions of the two parties of a private message. */
  private deliver(
    room: LocalRoom,
    message: SignalResponse,
    sender: string,
    to: string,
    exceptSid: string,
  ): void {
    for (const s of room.sessions.values()) {
      if (s.sid === exceptSid) continue;
      if (to !== '' && s.claims.identity !== to && s.claims.identity !== sender) continue;
      s.send(message);
    }
  }

  private async participant(session: Session, sid: string): Promise<{ identity: string; name: string }> {
    const entry = (await this.ctx.store.participants(session.room.name)).find((e) => e.info.sid === sid);
    if (!entry)
      throw new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, `participant ${sid} is not in the room`);
    return { identity: entry.info.identity, name: entry.info.name };
  }

  private publish(room: string, event: ChatEvent): Promise<void> {
    return this.ctx.roomBus.publish(room, event);
  }

  private ack(session: Session, requestId: string): void {
    if (requestId !== '') session.send(response(requestId, 'ack', {}));
  }
}
