// The signaling domain of one node: rooms, sessions (one per participant joined through this node),
// the relay between browsers and the SFU, and the room events shared with other nodes over the bus.
// The WebSocket edge (service.ts) hands it decoded requests and a link to answer on.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode as AppCode, type Logger } from '@origo/kit';
import type { Bus, Unsubscribe } from '@origo/kit/bus';
import type { DecodedSignalRequest } from '@origo/proto/json';
import {
  RouterClosedReason,
  type PeerTarget,
  type TrackKind as RpcKind,
  type PublishResponse,
  type SfuEvent,
  type SfuServiceClient,
  type SubscribeResponse,
} from '@origo/proto/sfu-rpc';
import {
  DisconnectReason,
  ErrorCode,
  LeaveAction,
  ParticipantState,
  RoomEndReason,
  SignalResponse,
  SignalTarget,
  TrackKind,
  TrackSource,
  type AddTrackRequest,
  type DeepPartial,
  type JoinRequest,
  type ParticipantInfo,
  type TrackInfo,
} from '@origo/proto/signal';
import type { SignalingConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import type { SfuPool } from './sfu.js';
import type { Placement, RoomStore } from './store.js';
import type { JoinClaims, JoinTokenVerifier } from './token.js';
import { JoinTokenError } from './token.js';
import { RoomEventType, type RoomEventReporter } from './reporter.js';
import { iceServersFor, type IceConfig } from './turn.js';
import { roomCommandSchema } from '@origo/control/contracts';

/** Close codes of the signaling socket (4000-4999 is the application range of RFC 6455 7.4.2). */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** A frame beyond the hard size limit (uWS closes with it itself). */
  TOO_BIG: 1009,
  /** No valid join within SIGNAL_JOIN_TIMEOUT_MS. */
  JOIN_TIMEOUT: 4401,
  /** Too many failed join attempts on one socket. */
  AUTH_FAILURES: 4403,
  /** No message within SIGNAL_IDLE_TIMEOUT_MS. */
  IDLE_TIMEOUT: 4408,
  /** The session was resumed on another socket. */
  REPLACED: 4409,
  /** The connection kept sending faster than the rate limit. */
  RATE_LIMITED: 4429,
} as const;

/** One WebSocket as the domain sees it. */
export interface ClientLink {
  send(message: SignalResponse): void;
  close(code: number, reason: string): void;
  /** Called as the session is bound to this link, before the join reply goes out. */
  bind(session: Session): void;
}

/** An error answered to the client as ErrorResponse. */
export class SignalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason: string = ErrorCode[code].replace('ERROR_CODE_', '').toLowerCase(),
  ) {
    super(message);
    this.name = 'SignalError';
  }
}

/** Maps what the SFU (or anything else) threw to the client-facing code; internals are not shown. */
export function toSignalError(err: unknown): SignalError {
  if (err instanceof SignalError) return err;
  if (err instanceof AppError) {
    switch (err.code) {
      case AppCode.INVALID_ARGUMENT:
      case AppCode.OUT_OF_RANGE:
        return new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, err.message, 'sfu_rejected');
      case AppCode.NOT_FOUND:
        return new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, err.message);
      case AppCode.FAILED_PRECONDITION:
      case AppCode.ABORTED:
        return new SignalError(ErrorCode.ERROR_CODE_FAILED_PRECONDITION, err.message);
      case AppCode.PERMISSION_DENIED:
        return new SignalError(ErrorCode.ERROR_CODE_PERMISSION_DENIED, err.message);
      case AppCode.UNAUTHENTICATED:
        return new SignalError(ErrorCode.ERROR_CODE_UNAUTHENTICATED, err.message);
      case AppCode.UNAVAILABLE:
      case AppCode.DEADLINE_EXCEEDED:
      case AppCode.CANCELLED:
        return new SignalError(
          ErrorCode.ERROR_CODE_UNAVAILABLE,
          'media server unavailable, retry',
          'sfu_unavailable',
        );
      default:
        return new SignalError(ErrorCode.ERROR_CODE_INTERNAL, 'internal error', 'internal');
    }
  }
  return new SignalError(ErrorCode.ERROR_CODE_INTERNAL, 'internal error', 'internal');
}

type Msg = NonNullable<SignalResponse['message']>;
type Case = Msg['$case'];
type ValueOf<C extends Case> = Extract<Msg, { $case: C }>['value'];

export function response<C extends Case>(
  requestId: string,
  $case: C,
  value: DeepPartial<ValueOf<C>>,
): SignalResponse {
  return SignalResponse.fromPartial({ requestId, message: { $case, value } } as never);
}

export function errorResponse(requestId: string, code: ErrorCode, message: string): SignalResponse {
  return response(requestId, 'error', { code, message, requestId });
}

/** Messages exchanged between signaling nodes about one room (channel `signal:room:<name>`). */
type RoomEvent =
  | { t: 'joined'; participant: ParticipantInfo }
  | { t: 'left'; sid: string; reason: DisconnectReason }
  | { t: 'updated'; participant: ParticipantInfo }
  | { t: 'tracks'; from: string; updated: TrackInfo[]; removed: string[] }
  | { t: 'ended'; reason: RoomEndReason }
  | { t: 'mute'; target: string; trackSid: string; by: string }
  | { t: 'remove'; target: string; reason: DisconnectReason };

const OUTBOX_LIMIT = 512;
const MAX_PENDING_TRACKS = 32;

function newId(prefix: string): string {
  return `${prefix}${randomBytes(9).toString('base64url')}`;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** A room as this node sees it: its placement and the sessions joined through this node. */
class LocalRoom {
  readonly sessions = new Map<string, Session>();
  unsubscribe: Unsubscribe | undefined;
  emptyTimer: NodeJS.Timeout | undefined;
  closed = false;
  constructor(
    readonly name: string,
    public placement: Placement,
  ) {}
}

export class Session {
  readonly sessionId = newId('SE_');
  readonly info: ParticipantInfo;
  link: ClientLink | undefined;
  closed = false;
  private resumeHash: Buffer;
  private readonly outbox: SignalResponse[] = [];
  private queue: Promise<void> = Promise.resolve();
  readonly pendingTracks = new Map<string, AddTrackRequest>();
  /** Track sids this participant is subscribed to (auto-subscribe bookkeeping). */
  readonly subscribed = new Set<string>();
  graceTimer: NodeJS.Timeout | undefined;
  /** Others (and control) were told this participant joined. */
  announced = false;

  constructor(
    readonly room: LocalRoom,
    readonly claims: JoinClaims,
    resumeSecret: string,
  ) {
    this.resumeHash = hashSecret(resumeSecret);
    this.info = {
      sid: newId('PA_'),
      identity: claims.identity,
      name: claims.name,
      state: ParticipantState.PARTICIPANT_STATE_JOINING,
      tracks: [],
      permission: {
        canPublish: claims.grants.publish,
        canSubscribe: claims.grants.subscribe,
        canPublishSources: [],
        canModerate: claims.grants.host,
      },
      joinedAt: Date.now(),
      isHost: claims.grants.host,
    };
  }

  get sid(): string {
    return this.info.sid;
  }

  /** Sends now, or keeps it for the resumed socket while the socket is down. */
  send(message: SignalResponse): void {
    if (this.closed) return;
    if (this.link) {
      this.link.send(message);
      return;
    }
    this.outbox.push(message);
    if (this.outbox.length > OUTBOX_LIMIT) this.outbox.shift();
  }

  attach(link: ClientLink): void {
    this.link = link;
    for (const message of this.outbox.splice(0)) link.send(message);
  }

  checkResume(secret: string): boolean {
    const given = hashSecret(secret);
    return given.length === this.resumeHash.length && timingSafeEqual(given, this.resumeHash);
  }

  rotateResume(secret: string): void {
    this.resumeHash = hashSecret(secret);
  }

  /** Runs requests of this participant one at a time, in arrival order (offer before its trickle). */
  enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task, task);
  }
}

export interface SignalingNodeOptions {
  config: SignalingConfig;
  logger: Logger;
  metrics: SignalingMetrics;
  bus: Bus;
  store: RoomStore;
  pool: SfuPool;
  verifier: JoinTokenVerifier;
  turnSecret: string | undefined;
  version: string;
  reporter: RoomEventReporter;
}

export class SignalingNode {
  private readonly rooms = new Map<string, LocalRoom>();
  private readonly roomsOpening = new Map<string, Promise<LocalRoom>>();
  private readonly sessionsById = new Map<string, Session>();
  private readonly config: SignalingConfig;
  private readonly logger: Logger;
  private readonly ice: IceConfig;
  private draining = false;
  private closing = false;

  constructor(private readonly opts: SignalingNodeOptions) {
    this.config = opts.config;
    this.logger = opts.logger;
    this.ice = {
      stunUrls: opts.config.STUN_URLS,
      turnUrls: opts.config.TURN_URLS,
      turnSecret: opts.turnSecret,
      turnTtlSeconds: opts.config.TURN_TTL_SECONDS,
    };
  }

  get sessionCount(): number {
    return this.sessionsById.size;
  }

  get roomCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) if (room.sessions.size > 0) n++;
    return n;
  }

  drain(): void {
    this.draining = true;
  }

  // ---- join and resume ----

  async join(link: ClientLink, req: JoinRequest, requestId: string): Promise<Session> {
    if (this.draining || this.closing)
      throw new SignalError(ErrorCode.ERROR_CODE_UNAVAILABLE, 'server is draining; connect to another node');
    let claims: JoinClaims;
    try {
      claims = await this.opts.verifier.verify(req.token, { allowExpired: req.resume !== undefined });
    } catch (err) {
      const reason = err instanceof JoinTokenError ? err.reason : 'malformed';
      throw new SignalError(
        ErrorCode.ERROR_CODE_UNAUTHENTICATED,
        err instanceof Error ? err.message : 'join token invalid',
        `token_${reason}`,
      );
    }
    if (req.resume)
      return this.resume(link, claims, req.resume.sessionId, req.resume.resumeSecret, requestId);
    return this.freshJoin(link, claims, requestId);
  }

  private resume(
    link: ClientLink,
    claims: JoinClaims,
    sessionId: string,
    secret: string,
    requestId: string,
  ): Session {
    const session = this.sessionsById.get(sessionId);
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
    link.bind(session);
    link.send(
      response(requestId, 'resumed', {
        participant: session.info,
        otherParticipants: [],
        iceServers: iceServersFor(this.ice, claims.identity),
        resumeSecret: newSecret,
      }),
    );
    // The full room list comes from the shared store; send it as a second, authoritative update.
    void this.opts.store
      .participants(session.room.name)
      .then((entries) => {
        const others = entries.filter((e) => e.info.sid !== session.sid).map((e) => e.info);
        for (const p of others) session.send(response('', 'participantUpdated', { participant: p }));
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'room list after resume failed'));
    session.attach(link);
    if (wasReconnecting) void this.updateParticipant(session);
    this.logger.info({ room: session.room.name, participant_sid: session.sid }, 'session resumed');
    return session;
  }

  private async freshJoin(link: ClientLink, claims: JoinClaims, requestId: string): Promise<Session> {
    if (await this.opts.store.isLocked(claims.room)) {
      throw new SignalError(
        ErrorCode.ERROR_CODE_PERMISSION_DENIED,
        'the room is locked by a host',
        'room_locked',
      );
    }
    if (claims.maxParticipants !== undefined) {
      const present = await this.opts.store.participants(claims.room);
      if (present.filter((e) => e.info.identity !== claims.identity).length >= claims.maxParticipants) {
        throw new SignalError(
          ErrorCode.ERROR_CODE_ROOM_FULL,
          `the room is full (${claims.maxParticipants} participants)`,
        );
      }
    }
    const room = await this.openRoom(claims.room);
    if (room.emptyTimer) clearTimeout(room.emptyTimer);
    room.emptyTimer = undefined;
    const resumeSecret = randomBytes(24).toString('base64url');
    const session = new Session(room, claims, resumeSecret);
    // Registered before reading room state so no bus event about the room can be missed.
    room.sessions.set(session.sid, session);
    this.sessionsById.set(session.sessionId, session);
    this.updateGauges();
    try {
      const existing = await this.opts.store.participants(room.name);
      for (const e of existing) {
        if (e.info.identity === claims.identity && e.info.sid !== session.sid) {
          await this.publish(room.name, {
            t: 'remove',
            target: e.info.sid,
            reason: DisconnectReason.DISCONNECT_REASON_DUPLICATE_IDENTITY,
          });
        }
      }
      await this.opts.store.putParticipant(room.name, session.info);
      await this.sfu(room, (c) => c.createPeer, {
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
          iceServers: iceServersFor(this.ice, claims.identity),
          sessionId: session.sessionId,
          resumeSecret,
          serverVersion: this.opts.version,
          pingIntervalMs: this.config.SIGNAL_PING_INTERVAL_MS,
          pingTimeoutMs: this.config.SIGNAL_IDLE_TIMEOUT_MS,
        }),
      );
      session.attach(link);
      await this.publish(room.name, { t: 'joined', participant: session.info });
      session.announced = true;
      this.opts.reporter.report({
        roomName: room.name,
        roomSid: room.placement.sid,
        type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
        participantIdentity: claims.identity,
        participantCount: others.length + 1,
        reason: '',
      });
      if (claims.grants.subscribe) {
        const live = others.flatMap((p) => p.tracks.filter((t) => t.mimeType !== ''));
        await this.subscribe(session, live);
      }
      this.logger.info(
        { room: room.name, participant_sid: session.sid, identity: claims.identity },
        'participant joined',
      );
      return session;
    } catch (err) {
      await this.closeSession(session, DisconnectReason.DISCONNECT_REASON_UNSPECIFIED, { notify: false });
      throw toSignalError(err);
    }
  }

  /** The local room, placing it on an SFU worker (or finding where another node placed it). */
  private openRoom(name: string): Promise<LocalRoom> {
    const known = this.rooms.get(name);
    if (known && !known.closed) return Promise.resolve(known);
    let pending = this.roomsOpening.get(name);
    if (!pending) {
      pending = this.placeRoom(name).finally(() => this.roomsOpening.delete(name));
      this.roomsOpening.set(name, pending);
    }
    return pending;
  }

  private async placeRoom(name: string): Promise<LocalRoom> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let placement = await this.opts.store.placement(name);
      let placedHere = false;
      if (!placement) {
        const choice = await this.opts.pool.leastLoaded();
        const mine: Placement = {
          sid: newId('RM_'),
          address: choice.address,
          workerId: choice.workerId,
          createdAt: Date.now(),
        };
        placement = await this.opts.store.place(name, mine);
        placedHere = placement.sid === mine.sid;
      }
      try {
        // connect() opens the worker's event stream before the router exists.
        await this.opts.pool.call(placement.address, (c) => c.createRouter, { roomId: name });
      } catch (err) {
        const appErr = err instanceof AppError ? err : undefined;
        if (
          appErr &&
          (appErr.code === AppCode.UNAVAILABLE || appErr.code === AppCode.DEADLINE_EXCEEDED) &&
          attempt === 0
        ) {
          // The worker is gone (or draining): forget the placement and place again.
          this.logger.warn(
            { room: name, sfu: placement.address },
            'placed SFU worker unavailable; placing again',
          );
          await this.opts.store.unplace(name, placement);
          continue;
        }
        throw err;
      }
      if (placedHere) {
        this.opts.reporter.report({
          roomName: name,
          roomSid: placement.sid,
          type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
          participantIdentity: '',
          participantCount: 0,
          reason: '',
        });
      }
      const room = new LocalRoom(name, placement);
      room.unsubscribe = await this.opts.bus.subscribe(`signal:room:${name}`, (message) =>
        this.onRoomEvent(room, message as RoomEvent),
      );
      this.rooms.set(name, room);
      return room;
    }
    throw AppError.unavailable('no SFU worker is available');
  }

  private sfu<Res = unknown>(
    room: LocalRoom,
    pick: (c: SfuServiceClient) => unknown,
    request: object,
  ): Promise<Res> {
    return this.opts.pool.call(room.placement.address, pick as never, request) as Promise<Res>;
  }

  private publish(room: string, event: RoomEvent): Promise<void> {
    return this.opts.bus.publish(`signal:room:${room}`, event);
  }

  // ---- requests of a joined session ----

  /** Handles one request of a joined participant; every failure becomes an error reply. */
  handle(session: Session, req: DecodedSignalRequest): void {
    session.enqueue(async () => {
      if (session.closed) return;
      try {
        await this.dispatch(session, req);
      } catch (err) {
        const e = toSignalError(err);
        if (e.code === ErrorCode.ERROR_CODE_INTERNAL)
          this.logger.error({ err, kind: req.message.$case }, 'signaling request failed');
        this.opts.metrics.rejected.inc({ reason: e.reason });
        session.send(errorResponse(req.requestId, e.code, e.message));
      }
    });
  }

  private ack(session: Session, requestId: string): void {
    if (requestId !== '') session.send(response(requestId, 'ack', {}));
  }

  private async dispatch(session: Session, req: DecodedSignalRequest): Promise<void> {
    const room = session.room;
    const base = { roomId: room.name, participantId: session.sid };
    const rid = req.requestId;
    const m = req.message;
    switch (m.$case) {
      case 'join':
        throw new SignalError(ErrorCode.ERROR_CODE_FAILED_PRECONDITION, 'already joined');
      case 'ping':
        session.send(
          response(rid, 'pong', { clientTimestampMs: m.value.timestampMs, serverTimestampMs: Date.now() }),
        );
        return;
      case 'addTrack': {
        this.requireGrant(session.claims.grants.publish, 'publish');
        const t = m.value;
        if (t.cid.length === 0 || t.cid.length > 256)
          throw new SignalError(
            ErrorCode.ERROR_CODE_INVALID_REQUEST,
            'add_track.cid must be 1 to 256 characters',
          );
        if (t.kind === TrackKind.TRACK_KIND_UNSPECIFIED)
          throw new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, 'add_track.kind is required');
        if (t.layers.length > 3)
          throw new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, 'at most three simulcast layers');
        if (session.pendingTracks.size >= MAX_PENDING_TRACKS && !session.pendingTracks.has(t.cid)) {
          throw new SignalError(
            ErrorCode.ERROR_CODE_INVALID_REQUEST,
            'too many tracks announced without a publish offer',
          );
        }
        session.pendingTracks.set(t.cid, t);
        this.ack(session, rid);
        return;
      }
      case 'publishOffer': {
        this.requireGrant(session.claims.grants.publish, 'publish');
        const pending = [...session.pendingTracks.values()];
        const res = await this.sfu<PublishResponse>(room, (c) => c.publish, {
          ...base,
          offerSdp: m.value.sdp,
          tracks: pending.map((t) => ({
            cid: t.cid,
            kind: t.kind as number as RpcKind,
            source: t.source as number,
            layers: t.layers.map((l) => ({ ...l, quality: l.quality as number })),
            muted: t.muted,
            width: t.width,
            height: t.height,
          })),
        });
        session.send(response(rid, 'publisherAnswer', { sdp: res.answerSdp, id: m.value.id }));
        let changed = false;
        for (const published of res.tracks) {
          if (session.info.tracks.some((t) => t.sid === published.trackId)) continue;
          const announced = session.pendingTracks.get(published.cid);
          session.pendingTracks.delete(published.cid);
          const track: TrackInfo = {
            sid: published.trackId,
            participantSid: session.sid,
            kind: announced?.kind ?? TrackKind.TRACK_KIND_UNSPECIFIED,
            source: announced?.source ?? TrackSource.TRACK_SOURCE_UNSPECIFIED,
            muted: announced?.muted ?? false,
            width: announced?.width ?? 0,
            height: announced?.height ?? 0,
            layers: announced?.layers ?? [],
            mimeType: '',
          };
          session.info.tracks.push(track);
          changed = true;
          session.send(response('', 'trackPublished', { cid: published.cid, track }));
        }
        if (changed) await this.opts.store.putParticipant(room.name, session.info);
        return;
      }
      case 'subscriberAnswer':
        await this.sfu(room, (c) => c.setSubscriberAnswer, {
          ...base,
          answerSdp: m.value.sdp,
          offerId: m.value.id,
        });
        this.ack(session, rid);
        return;
      case 'trickle': {
        const t = m.value;
        if (
          t.target !== SignalTarget.SIGNAL_TARGET_PUBLISHER &&
          t.target !== SignalTarget.SIGNAL_TARGET_SUBSCRIBER
        ) {
          throw new SignalError(
            ErrorCode.ERROR_CODE_INVALID_REQUEST,
            'trickle.target must be PUBLISHER or SUBSCRIBER',
          );
        }
        await this.sfu(room, (c) => c.addIceCandidate, {
          ...base,
          target: t.target as number as PeerTarget,
          candidate: {
            candidate: t.candidate,
            ...(t.sdpMid !== undefined ? { sdpMid: t.sdpMid } : {}),
            ...(t.sdpMlineIndex !== undefined ? { sdpMlineIndex: t.sdpMlineIndex } : {}),
            ...(t.usernameFragment !== undefined ? { usernameFragment: t.usernameFragment } : {}),
          },
        });
        this.ack(session, rid);
        return;
      }
      case 'muteTrack': {
        const track = session.info.tracks.find((t) => t.sid === m.value.trackSid);
        if (!track)
          throw new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, `track ${m.value.trackSid} is not yours`);
        await this.setMuted(session, track, m.value.muted);
        this.ack(session, rid);
        return;
      }
      case 'updateSubscription': {
        this.requireGrant(session.claims.grants.subscribe, 'subscribe');
        const res = await this.sfu<SubscribeResponse>(room, (c) => c.subscribe, {
          ...base,
          trackIds: m.value.trackSids,
          subscribe: m.value.subscribe,
        });
        for (const sid of m.value.trackSids) {
          if (res.unknownTrackIds.includes(sid)) continue;
          if (m.value.subscribe) session.subscribed.add(sid);
          else session.subscribed.delete(sid);
        }
        if (res.unknownTrackIds.length > 0 && res.unknownTrackIds.length === m.value.trackSids.length) {
          throw new SignalError(
            ErrorCode.ERROR_CODE_NOT_FOUND,
            `unknown tracks: ${res.unknownTrackIds.join(', ')}`,
          );
        }
        this.ack(session, rid);
        return;
      }
      case 'updateTrackSettings':
        await this.sfu(room, (c) => c.updateTrackSettings, {
          ...base,
          trackId: m.value.trackSid,
          paused: m.value.paused,
          width: m.value.width,
          height: m.value.height,
          quality: m.value.quality as number,
        });
        this.ack(session, rid);
        return;
      case 'iceRestart': {
        const target = m.value.target;
        if (
          target !== SignalTarget.SIGNAL_TARGET_PUBLISHER &&
          target !== SignalTarget.SIGNAL_TARGET_SUBSCRIBER
        ) {
          throw new SignalError(
            ErrorCode.ERROR_CODE_INVALID_REQUEST,
            'ice_restart.target must be PUBLISHER or SUBSCRIBER',
          );
        }
        await this.sfu(room, (c) => c.restartIce, {
          ...base,
          target: target as number as PeerTarget,
          offerSdp: '',
        });
        this.ack(session, rid);
        return;
      }
      case 'leave':
        this.ack(session, rid);
        await this.closeSession(session, DisconnectReason.DISCONNECT_REASON_CLIENT_LEFT, {
          closeSocket: CLOSE.NORMAL,
        });
        return;
      case 'muteParticipant': {
        this.requireGrant(session.claims.grants.host, 'host');
        await this.requireParticipant(room.name, m.value.participantSid);
        await this.publish(room.name, {
          t: 'mute',
          target: m.value.participantSid,
          trackSid: m.value.trackSid,
          by: session.sid,
        });
        this.ack(session, rid);
        return;
      }
      case 'removeParticipant': {
        this.requireGrant(session.claims.grants.host, 'host');
        await this.requireParticipant(room.name, m.value.participantSid);
        await this.publish(room.name, {
          t: 'remove',
          target: m.value.participantSid,
          reason: DisconnectReason.DISCONNECT_REASON_REMOVED_BY_HOST,
        });
        this.ack(session, rid);
        return;
      }
      case 'endRoom':
        this.requireGrant(session.claims.grants.host, 'host');
        this.ack(session, rid);
        await this.endRoom(room, RoomEndReason.ROOM_END_REASON_ENDED_BY_HOST);
        return;
    }
  }

  private requireGrant(granted: boolean, what: string): void {
    if (!granted)
      throw new SignalError(ErrorCode.ERROR_CODE_PERMISSION_DENIED, `the join token does not grant ${what}`);
  }

  private async requireParticipant(room: string, sid: string): Promise<void> {
    const entries = await this.opts.store.participants(room);
    if (!entries.some((e) => e.info.sid === sid))
      throw new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, `participant ${sid} is not in the room`);
  }

  private async setMuted(session: Session, track: TrackInfo, muted: boolean): Promise<void> {
    await this.sfu(session.room, (c) => c.setTrackMuted, {
      roomId: session.room.name,
      participantId: session.sid,
      trackId: track.sid,
      muted,
    });
    track.muted = muted;
    await this.opts.store.putParticipant(session.room.name, session.info);
    await this.publish(session.room.name, { t: 'tracks', from: session.sid, updated: [track], removed: [] });
  }

  private async subscribe(session: Session, tracks: TrackInfo[]): Promise<void> {
    const wanted = tracks
      .filter((t) => t.participantSid !== session.sid && !session.subscribed.has(t.sid))
      .map((t) => t.sid);
    if (wanted.length === 0 || session.closed) return;
    for (const sid of wanted) session.subscribed.add(sid);
    try {
      const res = await this.sfu<SubscribeResponse>(session.room, (c) => c.subscribe, {
        roomId: session.room.name,
        participantId: session.sid,
        trackIds: wanted,
        subscribe: true,
      });
      for (const sid of res.unknownTrackIds) session.subscribed.delete(sid);
    } catch (err) {
      for (const sid of wanted) session.subscribed.delete(sid);
      if (!session.closed) this.logger.warn({ err, participant_sid: session.sid }, 'auto-subscribe failed');
    }
  }

  private async updateParticipant(session: Session): Promise<void> {
    try {
      await this.opts.store.putParticipant(session.room.name, session.info);
      await this.publish(session.room.name, { t: 'updated', participant: session.info });
    } catch (err) {
      this.logger.warn({ err }, 'participant update failed');
    }
  }

  // ---- socket loss, leaving, room end ----

  /** The socket of a session closed without leave: keep the session for the resume grace. */
  detach(session: Session, link: ClientLink): void {
    if (session.closed || session.link !== link) return;
    session.link = undefined;
    if (this.closing) return;
    if (this.config.SIGNAL_RESUME_GRACE_MS === 0) {
      void this.closeSession(session, DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST);
      return;
    }
    session.info.state = ParticipantState.PARTICIPANT_STATE_RECONNECTING;
    void this.updateParticipant(session);
    session.graceTimer = setTimeout(() => {
      session.graceTimer = undefined;
      if (!session.link) void this.closeSession(session, DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST);
    }, this.config.SIGNAL_RESUME_GRACE_MS);
    session.graceTimer.unref();
  }

  /** Ends a session: SFU peer, shared state, the others' participant_left, the socket. Idempotent. */
  async closeSession(
    session: Session,
    reason: DisconnectReason,
    opts: { notify?: boolean; closeSocket?: number; closePeer?: boolean } = {},
  ): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    if (session.graceTimer) clearTimeout(session.graceTimer);
    const room = session.room;
    room.sessions.delete(session.sid);
    this.sessionsById.delete(session.sessionId);
    this.updateGauges();
    const link = session.link;
    session.link = undefined;
    if (link) link.close(opts.closeSocket ?? CLOSE.NORMAL, 'session closed');
    const work: Promise<unknown>[] = [];
    if (opts.closePeer !== false && !room.closed) {
      work.push(
        this.opts.pool
          .call(
            room.placement.address,
            (c) => c.closePeer,
            { roomId: room.name, participantId: session.sid },
            2000,
          )
          .catch((err: unknown) =>
            this.logger.warn({ err, participant_sid: session.sid }, 'ClosePeer failed'),
          ),
      );
    }
    work.push(this.opts.store.removeParticipant(room.name, session.sid).catch(() => undefined));
    if (opts.notify !== false)
      work.push(this.publish(room.name, { t: 'left', sid: session.sid, reason }).catch(() => undefined));
    await Promise.all(work);
    if (session.announced) {
      const count = await this.opts.store.participants(room.name).then(
        (e) => e.length,
        () => 0,
      );
      this.opts.reporter.report({
        roomName: room.name,
        roomSid: room.placement.sid,
        type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT,
        participantIdentity: session.claims.identity,
        participantCount: count,
        reason: DisconnectReason[reason].replace('DISCONNECT_REASON_', '').toLowerCase(),
      });
    }
    this.logger.info(
      { room: room.name, participant_sid: session.sid, reason: DisconnectReason[reason] },
      'participant left',
    );
    this.roomMaybeEmpty(room);
  }

  private roomMaybeEmpty(room: LocalRoom): void {
    if (room.closed || room.sessions.size > 0 || room.emptyTimer || this.closing) return;
    room.emptyTimer = setTimeout(() => {
      room.emptyTimer = undefined;
      void this.closeIfEmpty(room);
    }, this.config.ROOM_EMPTY_GRACE_MS);
    room.emptyTimer.unref();
  }

  private async closeIfEmpty(room: LocalRoom): Promise<void> {
    if (room.closed || room.sessions.size > 0) return;
    try {
      const others = await this.opts.store.participants(room.name);
      if (room.sessions.size > 0) return;
      if (others.length > 0) {
        // Other nodes still serve this room; they close it when they empty.
        await this.forgetRoom(room);
        return;
      }
      await this.shutRoom(room);
      this.logger.info({ room: room.name }, 'empty room closed');
    } catch (err) {
      this.logger.warn({ err, room: room.name }, 'closing empty room failed');
    }
  }

  private async forgetRoom(room: LocalRoom): Promise<void> {
    if (room.closed) return;
    room.closed = true;
    if (room.emptyTimer) clearTimeout(room.emptyTimer);
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    await room.unsubscribe?.();
    this.updateGauges();
  }

  /** Closes the router and drops the shared state of a room that stayed empty. */
  private async shutRoom(room: LocalRoom): Promise<void> {
    await this.forgetRoom(room);
    await this.closeRouter(room.name, room.placement, 'empty');
  }

  private async closeRouter(name: string, placement: Placement, reason: string): Promise<void> {
    await this.opts.pool
      .call(placement.address, (c) => c.closeRouter, { roomId: name }, 2000)
      .catch((err: unknown) => this.logger.warn({ err, room: name }, 'CloseRouter failed'));
    await this.opts.store.unplace(name, placement);
    await this.opts.store.dropRoom(name);
    this.opts.reporter.report({
      roomName: name,
      roomSid: placement.sid,
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED,
      participantIdentity: '',
      participantCount: 0,
      reason,
    });
  }

  private async endRoom(room: LocalRoom, reason: RoomEndReason): Promise<void> {
    await this.publish(room.name, { t: 'ended', reason });
    // Every node (this one included) ends its sessions on the bus message; the router goes here.
    await this.closeRouter(room.name, room.placement, 'host_ended');
  }

  // ---- host controls from the control service (bus channel `room-commands`) ----

  /** Carries out a host control published by the control service; one node per command acts. */
  async onRoomCommand(raw: unknown): Promise<void> {
    const parsed = roomCommandSchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring a malformed room command');
      return;
    }
    const cmd = parsed.data;
    if (!(await this.opts.store.claimCommand(cmd.command_id))) return;
    this.logger.info(
      { room: cmd.room, type: cmd.type, command_id: cmd.command_id, request_id: cmd.request_id },
      'room command',
    );
    switch (cmd.type) {
      case 'set_room_lock':
        await this.opts.store.setLocked(cmd.room, cmd.locked);
        return;
      case 'end_room': {
        const placement = await this.opts.store.placement(cmd.room);
        if (!placement) return;
        const reason =
          cmd.reason === 'host_ended'
            ? RoomEndReason.ROOM_END_REASON_ENDED_BY_HOST
            : RoomEndReason.ROOM_END_REASON_ADMIN;
        await this.publish(cmd.room, { t: 'ended', reason });
        await this.closeRouter(cmd.room, placement, cmd.reason);
        return;
      }
      case 'mute_participant':
      case 'remove_participant': {
        const targets = (await this.opts.store.participants(cmd.room)).filter(
          (e) => e.info.identity === cmd.identity,
        );
        for (const t of targets) {
          await this.publish(
            cmd.room,
            cmd.type === 'mute_participant'
              ? { t: 'mute', target: t.info.sid, trackSid: cmd.track_sid ?? '', by: '' }
              : {
                  t: 'remove',
                  target: t.info.sid,
                  reason: DisconnectReason.DISCONNECT_REASON_REMOVED_BY_HOST,
                },
          );
        }
        return;
      }
    }
  }

  private endLocalSessions(room: LocalRoom, reason: RoomEndReason): void {
    for (const session of [...room.sessions.values()]) {
      session.send(response('', 'roomEnded', { reason }));
      void this.closeSession(session, DisconnectReason.DISCONNECT_REASON_ROOM_ENDED, {
        notify: false,
        closePeer: false,
      });
    }
    void this.forgetRoom(room);
  }

  // ---- events from other nodes ----

  private onRoomEvent(room: LocalRoom, event: RoomEvent): void {
    if (room.closed) return;
    const others = (sid: string): Session[] => [...room.sessions.values()].filter((s) => s.sid !== sid);
    switch (event.t) {
      case 'joined':
        for (const s of others(event.participant.sid))
          s.send(response('', 'participantJoined', { participant: event.participant }));
        return;
      case 'left':
        for (const s of others(event.sid))
          s.send(response('', 'participantLeft', { participantSid: event.sid, reason: event.reason }));
        return;
      case 'updated':
        for (const s of others(event.participant.sid))
          s.send(response('', 'participantUpdated', { participant: event.participant }));
        return;
      case 'tracks':
        for (const s of others(event.from)) {
          s.send(response('', 'tracksChanged', { updated: event.updated, removedTrackSids: event.removed }));
          for (const sid of event.removed) s.subscribed.delete(sid);
          if (s.claims.grants.subscribe) {
            const live = event.updated.filter((t) => t.mimeType !== '');
            if (live.length > 0) s.enqueue(() => this.subscribe(s, live));
          }
        }
        return;
      case 'ended':
        this.endLocalSessions(room, event.reason);
        return;
      case 'mute': {
        const target = room.sessions.get(event.target);
        if (!target) return;
        target.enqueue(async () => {
          const tracks = target.info.tracks.filter((t) =>
            event.trackSid === '' ? t.kind === TrackKind.TRACK_KIND_AUDIO : t.sid === event.trackSid,
          );
          for (const track of tracks) {
            if (track.muted) continue;
            try {
              await this.setMuted(target, track, true);
              target.send(
                response('', 'trackMuted', { trackSid: track.sid, muted: true, mutedBySid: event.by }),
              );
            } catch (err) {
              this.logger.warn({ err, track: track.sid }, 'host mute failed');
            }
          }
        });
        return;
      }
      case 'remove': {
        const target = room.sessions.get(event.target);
        if (!target) return;
        target.send(
          response('', 'leave', { reason: event.reason, action: LeaveAction.LEAVE_ACTION_DISCONNECT }),
        );
        void this.closeSession(target, event.reason);
        return;
      }
    }
  }

  // ---- events from the SFU ----

  onSfuEvent(address: string, event: SfuEvent): void {
    const room = this.rooms.get(event.roomId);
    if (!room || room.closed || room.placement.address !== address || !event.event) return;
    const ev = event.event;
    if (event.participantId === '') {
      if (ev.$case === 'speakersChanged') {
        const speakers = ev.value.speakers.map((s) => ({
          participantSid: s.participantId,
          level: s.level,
          active: s.active,
        }));
        for (const s of room.sessions.values()) s.send(response('', 'speakersChanged', { speakers }));
      } else if (ev.$case === 'routerClosed') {
        if (ev.value.reason !== RouterClosedReason.ROUTER_CLOSED_REASON_REQUESTED)
          this.routerLost(room, ev.value.reason);
      }
      return;
    }
    const session = room.sessions.get(event.participantId);
    if (!session) return;
    switch (ev.$case) {
      case 'subscriberOffer':
        session.send(response('', 'subscriberOffer', { sdp: ev.value.sdp, id: ev.value.offerId }));
        return;
      case 'iceCandidate': {
        const c = ev.value.candidate;
        if (!c) return;
        session.send(
          response('', 'trickle', {
            target: ev.value.target as number as SignalTarget,
            candidate: c.candidate,
            ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}),
            ...(c.sdpMlineIndex !== undefined ? { sdpMlineIndex: c.sdpMlineIndex } : {}),
            ...(c.usernameFragment !== undefined ? { usernameFragment: c.usernameFragment } : {}),
          }),
        );
        return;
      }
      case 'peerState':
        if (
          ev.value.state === 3 /* CONNECTED */ &&
          session.info.state === ParticipantState.PARTICIPANT_STATE_JOINING
        ) {
          session.info.state = ParticipantState.PARTICIPANT_STATE_ACTIVE;
          void this.updateParticipant(session);
        }
        return;
      case 'trackPublished': {
        const v = ev.value;
        let track = session.info.tracks.find((t) => t.sid === v.trackId);
        if (!track) {
          track = {
            sid: v.trackId,
            participantSid: session.sid,
            kind: TrackKind.TRACK_KIND_UNSPECIFIED,
            source: TrackSource.TRACK_SOURCE_UNSPECIFIED,
            muted: false,
            width: 0,
            height: 0,
            layers: [],
            mimeType: '',
          };
          session.info.tracks.push(track);
        }
        track.mimeType = v.mimeType;
        if (track.kind === TrackKind.TRACK_KIND_UNSPECIFIED) track.kind = v.kind as number as TrackKind;
        if (track.source === TrackSource.TRACK_SOURCE_UNSPECIFIED)
          track.source = v.source as number as TrackSource;
        if (track.layers.length === 0)
          track.layers = v.layers.map((l) => ({ ...l, quality: l.quality as number }));
        const published = track;
        session.enqueue(async () => {
          await this.opts.store.putParticipant(room.name, session.info);
          await this.publish(room.name, {
            t: 'tracks',
            from: session.sid,
            updated: [published],
            removed: [],
          });
        });
        return;
      }
      case 'trackClosed': {
        const sid = ev.value.trackId;
        const before = session.info.tracks.length;
        session.info.tracks = session.info.tracks.filter((t) => t.sid !== sid);
        if (session.info.tracks.length === before) return;
        session.enqueue(async () => {
          await this.opts.store.putParticipant(room.name, session.info);
          await this.publish(room.name, { t: 'tracks', from: session.sid, updated: [], removed: [sid] });
        });
        return;
      }
      case 'subscribedQuality':
        session.send(
          response('', 'subscribedQualityUpdate', {
            trackSid: ev.value.trackId,
            qualities: ev.value.layers.map((l) => ({ quality: l.quality as number, enabled: l.enabled })),
          }),
        );
        return;
      case 'transportFailure':
        this.logger.warn({ participant_sid: session.sid, reason: ev.value.reason }, 'media transport failed');
        session.send(
          response('', 'leave', {
            reason: DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE,
            action: LeaveAction.LEAVE_ACTION_RECONNECT,
          }),
        );
        void this.closeSession(session, DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE, {
          closePeer: false,
        });
        return;
      case 'layerChanged':
      case 'speakersChanged':
      case 'routerClosed':
        return;
    }
  }

  /** The worker holding a room died or shut down: everyone here reconnects (and gets placed again). */
  private routerLost(room: LocalRoom, reason: RouterClosedReason): void {
    if (room.closed) return;
    this.logger.warn(
      { room: room.name, sfu: room.placement.address, reason: RouterClosedReason[reason] },
      'router lost',
    );
    const placement = room.placement;
    for (const session of [...room.sessions.values()]) {
      session.send(
        response('', 'leave', {
          reason: DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE,
          action: LeaveAction.LEAVE_ACTION_RECONNECT,
        }),
      );
      void this.closeSession(session, DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE, { closePeer: false });
    }
    void this.forgetRoom(room).then(() => this.opts.store.unplace(room.name, placement));
  }

  onWorkerLost(address: string): void {
    for (const room of [...this.rooms.values()]) {
      if (room.placement.address === address)
        this.routerLost(room, RouterClosedReason.ROUTER_CLOSED_REASON_WORKER_DIED);
    }
  }

  private updateGauges(): void {
    this.opts.metrics.participants.set(this.sessionsById.size);
    this.opts.metrics.rooms.set(this.roomCount);
  }

  /** Tells every client to reconnect elsewhere and ends every session here. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const sessions = [...this.sessionsById.values()];
    for (const s of sessions) {
      s.send(
        response('', 'leave', {
          reason: DisconnectReason.DISCONNECT_REASON_SERVER_SHUTDOWN,
          action: LeaveAction.LEAVE_ACTION_RECONNECT,
        }),
      );
    }
    await Promise.all(
      sessions.map((s) =>
        this.closeSession(s, DisconnectReason.DISCONNECT_REASON_SERVER_SHUTDOWN, {
          closeSocket: CLOSE.GOING_AWAY,
        }),
      ),
    );
    // Rooms left empty by the shutdown: close those no other node serves, without waiting for the grace.
    await Promise.all(
      [...this.rooms.values()].map(async (room) => {
        if (room.emptyTimer) clearTimeout(room.emptyTimer);
        room.emptyTimer = undefined;
        const others = await this.opts.store.participants(room.name).catch(() => []);
        if (others.length === 0) await this.shutRoom(room).catch(() => undefined);
        else await this.forgetRoom(room);
      }),
    );
  }
}
