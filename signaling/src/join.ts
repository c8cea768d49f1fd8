// Joining a room through this node: a fresh join (token checked, room placed, SFU peer created, the
// others told) or the resume of a session whose socket dropped.
import { randomBytes } from 'node:crypto';
import { DisconnectReason, ErrorCode, ParticipantState, type JoinRequest } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { CLOSE, SignalError, toSignalError } from './errors.js';
import { RoomEventType } from './reporter.js';
import { peopleIn } from './store.js';
import { push, response } from './responses.js';
import { Session, type ClientLink, type TaskFailure } from './session.js';
import { JoinTokenError, type JoinClaims } from './token.js';
import { iceServersFor } from './turn.js';

export class Joiner {
  constructor(
    private readonly ctx: NodeContext,
    private readonly onTaskFailure: TaskFailure,
  ) {}

  async join(link: ClientLink, req: JoinRequest, requestId: string): Promise<Session> {
    if (this.ctx.flags.draining || this.ctx.flags.closing)
      throw new SignalError(ErrorCode.ERROR_CODE_UNAVAILABLE, 'server is draining; connect to another node');
    let claims: JoinClaims;
    try {
      claims = await this.ctx.verifier.verify(req.token, { allowExpired: req.resume !== undefined });
    } catch (err) {
      const reason = err instanceof JoinTokenError ? err.reason : 'malformed';
      throw new SignalError(
        reason === 'keys_unavailable'
          ? ErrorCode.ERROR_CODE_UNAVAILABLE
          : ErrorCode.ERROR_CODE_UNAUTHENTICATED,
        err instanceof Error ? err.message : 'join token invalid',
        `token_${reason}`,
      );
    }
    if (req.resume)
      return this.resume(link, claims, req.resume.sessionId, req.resume.resumeSecret, requestId);
    return this.fresh(link, claims, req.token, requestId);
  }

  private async resume(
    link: ClientLink,
    claims: JoinClaims,
    sessionId: string,
    secret: string,
    requestId: string,
  ): Promise<Session> {
    const session = this.ctx.sessionsById.get(sessionId);
    if (
      !session ||
      session.closed ||
      !session.checkResume(secret) ||
      session.claims.identity !== claims.identity ||
      session.room.name !== claims.room
    ) {
      throw new SignalError(
        ErrorCode.ERROR_CODE_RESUME_FAILED,
        'session cannot be resumed; join again without resume',
      );
    }
    const previous = session.link;
    session.link = undefined;
    if (previous && previous !== link)
      previous.close(CLOSE.REPLACED, 'session resumed on another connection');
    if (session.graceTimer) clearTimeout(session.graceTimer);
    session.graceTimer = undefined;
    const newSecret = randomBytes(24).toString('base64url');
    session.rotateResume(newSecret);
    const wasReconnecting = session.info.state === ParticipantState.PARTICIPANT_STATE_RECONNECTING;
    session.info.state = ParticipantState.PARTICIPANT_STATE_ACTIVE;
    // The whole room goes in the reply: the client replaces its list with it, so a partial list would
    // drop people (and the media it receives from them) until they speak up again.
    const others = (await this.ctx.store.participants(session.room.name))
      .filter((e) => e.info.sid !== session.sid)
      .map((e) => e.info);
    if (session.closed) throw new SignalError(ErrorCode.ERROR_CODE_RESUME_FAILED, 'session ended meanwhile');
    link.bind(session);
    link.send(
      response(requestId, 'resumed', {
        participant: session.info,
        otherParticipants: others,
        iceServers: iceServersFor(this.ctx.ice, claims.identity),
        resumeSecret: newSecret,
      }),
    );
    session.attach(link);
    // Events sent while the socket was down are lost: the recording notice is repeated as it stands now
    // (best effort: an unreachable store does not fail the resume; the next change is sent as usual).
    const recordingId = await this.ctx.store.recording(session.room.name).then(
      (id) => id ?? '',
      (err: unknown) => {
        this.ctx.logger.warn({ err, room: session.room.name }, 'recording state unknown at resume');
        return undefined;
      },
    );
    if (recordingId !== undefined)
      session.send(push('recordingChanged', { recording: recordingId !== '', recordingId }));
    if (wasReconnecting) this.ctx.media.shareParticipant(session);
    this.ctx.logger.info({ room: session.room.name, participant_sid: session.sid }, 'session resumed');
    return session;
  }

  /** Whether this token may start a new session in its room now; throws the reason when not. */
  private async admit(claims: JoinClaims): Promise<void> {
    const { store } = this.ctx;
    const [endedAt, removed, locked, signedOutAt] = await Promise.all([
      store.endedAt(claims.room),
      store.isRemoved(claims.room, claims.identity),
      store.isLocked(claims.room),
      store.signedOutAt(claims.identity),
    ]);
    if (signedOutAt !== null && claims.issuedAtMs <= signedOutAt)
      throw new SignalError(
        ErrorCode.ERROR_CODE_UNAUTHENTICATED,
        'an administrator signed this account out after the join token was issued; sign in again',
        'signed_out',
      );
    if (endedAt !== null && claims.issuedAtMs <= endedAt)
      throw new SignalError(
        ErrorCode.ERROR_CODE_ROOM_ENDED,
        'the meeting ended after this join token was issued; open the meeting link again',
        'room_ended',
      );
    if (removed)
      throw new SignalError(
        ErrorCode.ERROR_CODE_REMOVED,
        'a host removed you from this meeting; ask a host to let you back in',
        'removed',
      );
    if (locked)
      throw new SignalError(
        ErrorCode.ERROR_CODE_ROOM_LOCKED,
        'a host locked the meeting; ask a host to unlock it',
        'room_locked',
      );
    if (claims.maxParticipants !== undefined) {
      const present = await store.participants(claims.room);
      if (present.filter((e) => e.info.identity !== claims.identity).length >= claims.maxParticipants)
        throw new SignalError(
          ErrorCode.ERROR_CODE_ROOM_FULL,
          `the room is full (${claims.maxParticipants} participants)`,
        );
    }
  }

  private async fresh(
    link: ClientLink,
    claims: JoinClaims,
    token: string,
    requestId: string,
  ): Promise<Session> {
    const { store, rooms, roomBus, logger } = this.ctx;
    await this.admit(claims);
    const room = await rooms.open(claims.room);
    rooms.cancelEmpty(room);
    const resumeSecret = randomBytes(24).toString('base64url');
    const session = new Session(room, claims, token, resumeSecret, this.onTaskFailure);
    // Registered before reading room state so no bus event about the room can be missed.
    room.sessions.set(session.sid, session);
    this.ctx.sessionsById.set(session.sessionId, session);
    this.ctx.departures.updateGauges();
    try {
      const [existing, recordingId] = await Promise.all([
        store.participants(room.name),
        store.recording(room.name),
      ]);
      for (const e of existing) {
        if (e.info.identity === claims.identity && e.info.sid !== session.sid) {
          await roomBus.publish(room.name, {
            t: 'remove',
            target: e.info.sid,
            reason: DisconnectReason.DISCONNECT_REASON_DUPLICATE_IDENTITY,
          });
        }
      }
      await store.putParticipant(room.name, session.info);
      await room.sfu.createPeer({
        roomId: room.name,
        participantId: session.sid,
        iceServers: [],
        canPublish: claims.grants.publish,
        canSubscribe: claims.grants.subscribe,
      });
      const others = existing.filter((e) => e.info.identity !== claims.identity).map((e) => e.info);
      link.bind(session);
      link.send(
        response(requestId, 'joinResponse', {
          room: { sid: room.placement.sid, name: room.name, createdAt: room.placement.createdAt },
          participant: session.info,
          otherParticipants: others,
          iceServers: iceServersFor(this.ctx.ice, claims.identity),
          sessionId: session.sessionId,
          resumeSecret,
          serverVersion: this.ctx.version,
          pingIntervalMs: this.ctx.config.SIGNAL_PING_INTERVAL_MS,
          pingTimeoutMs: this.ctx.config.SIGNAL_IDLE_TIMEOUT_MS,
        }),
      );
      session.attach(link);
      if (room.timeLimit !== undefined) session.send(push('timeLimitWarning', room.timeLimit));
      if (recordingId !== undefined) session.send(push('recordingChanged', { recording: true, recordingId }));
      await roomBus.publish(room.name, { t: 'joined', participant: session.info });
      session.announced = true;
      this.ctx.presence.joined(session);
      // Counted after this session's own entry is in the store, not from `existing`: people joining at
      // the same time each read the room before the others had written, and someone who left since
      // is still in that list. The later of two racing reports then holds the right number.
      const count = await store.participants(room.name).then(peopleIn, () => others.length + 1);
      rooms.report(room.name, room.placement.sid, RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED, '', {
        identity: claims.identity,
        name: claims.name,
        count,
      });
      await this.ctx.media.autoSubscribe(
        session,
        others.flatMap((p) => p.tracks),
      );
      this.ctx.tokens.watch(session);
      logger.info(
        { room: room.name, participant_sid: session.sid, identity: claims.identity },
        'participant joined',
      );
      return session;
    } catch (err) {
      await this.ctx.departures.closeAndWait(session, DisconnectReason.DISCONNECT_REASON_UNSPECIFIED, {
        notify: false,
      });
      throw toSignalError(err);
    }
  }
}
