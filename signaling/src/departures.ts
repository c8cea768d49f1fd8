// How sessions end: a socket that dropped (kept for the resume grace), a leave, a removal, a room that
// ended or lost its worker. Ending a session closes its SFU peer, drops it from the shared store, tells
// the others and control, and is idempotent.
import { DisconnectReason, ParticipantState } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { CLOSE } from './errors.js';
import { RoomEventType } from './reporter.js';
import { retryInBackground } from './retry.js';
import { peopleIn } from './store.js';
import type { ClientLink, Session } from './session.js';

export interface CloseOptions {
  /** Publish participant_left to the room (default true). */
  notify?: boolean;
  /** Close code for the socket, if it is still open (default 1000). */
  closeSocket?: number;
  /** Close the SFU peer (default true; false when the router is gone anyway). */
  closePeer?: boolean;
}

export class Departures {
  constructor(private readonly ctx: NodeContext) {}

  updateGauges(): void {
    this.ctx.metrics.participants.set(this.ctx.sessionsById.size);
    this.ctx.metrics.rooms.set(this.ctx.rooms.activeCount);
  }

  /** The socket of a session closed without leave: keep the session for the resume grace. */
  detach(session: Session, link: ClientLink): void {
    if (session.closed || session.link !== link) return;
    session.link = undefined;
    if (this.ctx.flags.closing) return;
    const grace = this.ctx.config.SIGNAL_RESUME_GRACE_MS;
    if (grace === 0) {
      this.close(session, DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST);
      return;
    }
    session.info.state = ParticipantState.PARTICIPANT_STATE_RECONNECTING;
    this.ctx.media.shareParticipant(session);
    session.graceTimer = setTimeout(() => {
      session.graceTimer = undefined;
      if (!session.link) this.close(session, DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST);
    }, grace);
    session.graceTimer.unref();
  }

  /** Ends a session without waiting for the cleanup (which logs its own failures). */
  close(session: Session, reason: DisconnectReason, opts: CloseOptions = {}): void {
    this.closeAndWait(session, reason, opts).catch((err: unknown) =>
      this.ctx.logger.warn({ err, participant_sid: session.sid }, 'session cleanup failed'),
    );
  }

  /** Ends a session: SFU peer, shared state, the others' participant_left, the socket. Idempotent. */
  async closeAndWait(session: Session, reason: DisconnectReason, opts: CloseOptions = {}): Promise<void> {
    if (session.closed) return;
    const { store, logger } = this.ctx;
    session.closed = true;
    if (session.graceTimer) clearTimeout(session.graceTimer);
    this.ctx.tokens.stop(session);
    this.ctx.presence.left(session);
    const room = session.room;
    room.sessions.delete(session.sid);
    this.ctx.sessionsById.delete(session.sessionId);
    this.updateGauges();
    const link = session.link;
    session.link = undefined;
    if (link) link.close(opts.closeSocket ?? CLOSE.NORMAL, 'session closed');
    const work: Promise<unknown>[] = [];
    if (opts.closePeer !== false && !room.closed) {
      work.push(
        room.sfu
          .closePeer({ roomId: room.name, participantId: session.sid })
          .catch((err: unknown) => logger.warn({ err, participant_sid: session.sid }, 'ClosePeer failed')),
      );
    }
    // Both are repeated once the store answers: otherwise a participant who left during an outage stays
    // listed for newcomers, and those present never hear that it left.
    const context = { participant_sid: session.sid, room: room.name };
    const wanted = (): boolean => !this.ctx.flags.closing;
    const remove = (): Promise<void> => store.removeParticipant(room.name, session.sid);
    work.push(
      remove().catch((err: unknown) => {
        logger.warn({ err, ...context }, 'store removal failed');
        retryInBackground('store removal', remove, logger, wanted, context);
      }),
    );
    if (opts.notify !== false) {
      const announce = (): Promise<void> =>
        this.ctx.roomBus.publish(room.name, { t: 'left', sid: session.sid, reason });
      work.push(
        announce().catch((err: unknown) => {
          logger.warn({ err, ...context }, 'left event failed');
          retryInBackground('left event', announce, logger, wanted, context);
        }),
      );
    }
    await Promise.all(work);
    if (session.announced) {
      const count = await store.participants(room.name).then(peopleIn, () => 0);
      this.ctx.rooms.report(
        room.name,
        room.placement.sid,
        RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT,
        DisconnectReason[reason].replace('DISCONNECT_REASON_', '').toLowerCase(),
        { identity: session.claims.identity, name: session.claims.name, count },
      );
    }
    logger.info(
      { room: room.name, participant_sid: session.sid, reason: DisconnectReason[reason] },
      'participant left',
    );
    this.ctx.rooms.maybeEmpty(room);
  }
}
