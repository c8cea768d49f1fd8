// Requests of a joined participant: a thin dispatcher from message kind to the part that handles it.
// Every request runs on the session's queue, one at a time; any failure becomes an error reply.
import type { DecodedSignalRequest } from '@origo/proto/json';
import { DisconnectReason, ErrorCode, RoomEndReason, type ParticipantInfo } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { CLOSE, SignalError, toSignalError } from './errors.js';
import { errorResponse, response } from './responses.js';
import type { Session } from './session.js';
import { isChatRequest } from './chat.js';

export class RequestHandler {
  constructor(private readonly ctx: NodeContext) {}

  handle(session: Session, req: DecodedSignalRequest): void {
    // Chat requests wait for the chat role: on their own queue, so they never hold up media negotiation.
    const enqueue = isChatRequest(req.message)
      ? (work: () => Promise<void>) => this.ctx.chat.enqueue(session, work)
      : (work: () => Promise<void>) => session.enqueue(req.message.$case, work);
    enqueue(async () => {
      if (session.closed) return;
      try {
        await this.dispatch(session, req);
      } catch (err) {
        const e = toSignalError(err);
        if (e.code === ErrorCode.ERROR_CODE_INTERNAL)
          this.ctx.logger.error({ err, kind: req.message.$case }, 'signaling request failed');
        else if (e.code === ErrorCode.ERROR_CODE_UNAVAILABLE)
          this.ctx.logger.warn(
            { err, kind: req.message.$case, participant_sid: session.sid },
            'signaling request failed: SFU or store unavailable',
          );
        this.ctx.metrics.rejected.inc({ reason: e.reason });
        session.send(errorResponse(req.requestId, e.code, e.message));
      }
    });
  }

  private async dispatch(session: Session, req: DecodedSignalRequest): Promise<void> {
    const { media } = this.ctx;
    const rid = req.requestId;
    const m = req.message;
    if (isChatRequest(m)) {
      await this.ctx.chat.handle(session, rid, m);
      return;
    }
    switch (m.$case) {
      case 'join':
        throw new SignalError(ErrorCode.ERROR_CODE_FAILED_PRECONDITION, 'already joined');
      case 'ping':
        session.send(
          response(rid, 'pong', { clientTimestampMs: m.value.timestampMs, serverTimestampMs: Date.now() }),
        );
        return;
      case 'addTrack':
        this.requireGrant(session.claims.grants.publish, 'publish');
        media.announce(session, m.value);
        break;
      case 'publishOffer':
        this.requireGrant(session.claims.grants.publish, 'publish');
        await media.publishOffer(session, rid, m.value);
        return;
      case 'subscriberAnswer':
        await media.subscriberAnswer(session, m.value);
        break;
      case 'trickle':
        await media.trickle(session, m.value);
        break;
      case 'muteTrack':
        await media.muteOwn(session, m.value.trackSid, m.value.muted);
        break;
      case 'updateSubscription':
        this.requireGrant(session.claims.grants.subscribe, 'subscribe');
        await media.updateSubscription(session, m.value);
        break;
      case 'updateTrackSettings':
        await media.updateTrackSettings(session, m.value);
        break;
      case 'iceRestart':
        await media.restartIce(session, m.value);
        break;
      case 'setAway':
        this.ctx.presence.setAway(session, m.value.away);
        // The others see it in their participants list (guests too: it is the page, not an account).
        if (session.info.away !== m.value.away) {
          session.info.away = m.value.away;
          media.shareParticipant(session);
        }
        break;
      case 'leave':
        this.ack(session, rid);
        await this.ctx.departures.closeAndWait(session, DisconnectReason.DISCONNECT_REASON_CLIENT_LEFT, {
          closeSocket: CLOSE.NORMAL,
        });
        return;
      case 'muteParticipant':
        this.requireGrant(session.claims.grants.host, 'host');
        await this.requireParticipant(session, m.value.participantSid);
        await this.ctx.roomBus.publish(session.room.name, {
          t: 'mute',
          target: m.value.participantSid,
          trackSid: m.value.trackSid,
          by: session.sid,
        });
        break;
      case 'removeParticipant': {
        this.requireGrant(session.claims.grants.host, 'host');
        const target = await this.requireParticipant(session, m.value.participantSid);
        await this.ctx.store.markRemoved(session.room.name, target.identity);
        await this.ctx.roomBus.publish(session.room.name, {
          t: 'remove',
          target: m.value.participantSid,
          reason: DisconnectReason.DISCONNECT_REASON_REMOVED_BY_HOST,
        });
        break;
      }
      case 'endRoom': {
        this.requireGrant(session.claims.grants.host, 'host');
        this.ack(session, rid);
        const room = session.room;
        await this.ctx.rooms.end(
          room.name,
          room.placement,
          RoomEndReason.ROOM_END_REASON_ENDED_BY_HOST,
          'host_ended',
        );
        return;
      }
    }
    this.ack(session, rid);
  }

  private ack(session: Session, requestId: string): void {
    if (requestId !== '') session.send(response(requestId, 'ack', {}));
  }

  private requireGrant(granted: boolean, what: string): void {
    if (!granted)
      throw new SignalError(ErrorCode.ERROR_CODE_PERMISSION_DENIED, `the join token does not grant ${what}`);
  }

  private async requireParticipant(session: Session, sid: string): Promise<ParticipantInfo> {
    const entries = await this.ctx.store.participants(session.room.name);
    const entry = entries.find((e) => e.info.sid === sid);
    if (!entry)
      throw new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, `participant ${sid} is not in the room`);
    return entry.info;
  }
}
