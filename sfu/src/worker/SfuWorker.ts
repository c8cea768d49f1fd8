// The domain of one SFU worker process: a Router per room, a Peer per participant, and the ids the
// control API speaks (track ids chosen here at Publish time, before any media arrives) mapped onto
// the media core's producers. The gRPC edge (service.ts) only converts errors and messages.
import { randomBytes } from 'node:crypto';
import { AppError, ErrorCode } from '@origo/kit';
import type { Logger } from '@origo/kit';
import {
  PeerConnectionState,
  PeerTarget,
  RouterClosedReason,
  TrackClosedReason,
  TrackKind,
  TrackSource,
  VideoQuality,
} from '@origo/proto/sfu-rpc';
import type {
  AddIceCandidateRequest,
  CreatePeerRequest,
  GetLoadResponse,
  GetStatsResponse,
  PeerStats,
  PublishRequest,
  PublishResponse,
  RestartIceRequest,
  RouterStats,
  SetSubscriberAnswerRequest,
  SetTrackMutedRequest,
  SfuEvent,
  SimulcastLayer,
  SubscribeRequest,
  SubscribeResponse,
  UpdateTrackSettingsRequest,
  WorkerLoad,
} from '@origo/proto/sfu-rpc';
import {
  MediaError,
  MediaStats,
  Router,
  type LayerRequest,
  type MediaStatsSnapshot,
  type Peer,
  type PeerOptions,
  type Producer,
  type RouterOptions,
  type IceCandidateInit,
  type TrackMeta,
  type TransportConnectionState,
  type TransportTarget,
} from '../media/index.js';
import { parseOfferMedia } from './sdpMedia.js';

const MAX_ID_LENGTH = 256;
const MAX_SDP_BYTES = 256 * 1024;
/** Reason the worker passes to Peer.close / Router.close when signaling asked for it. */
const REQUESTED = 'requested';
const SHUTDOWN = 'shutdown';

export interface SfuWorkerOptions {
  workerId: string;
  nodeId: string;
  logger: Logger;
  /** Media core tunables and test hooks, applied to every router of this worker. */
  router?: Omit<RouterOptions, 'roomId' | 'stats'>;
  /** Test hook: options for every peer (egress drop rate, drop filter). */
  peer?: PeerOptions;
}

interface SubscriberSettings {
  paused: boolean;
  width: number;
  height: number;
  quality: VideoQuality;
}

interface PeerRecord {
  peer: Peer;
  roomId: string;
  participantId: string;
  canPublish: boolean;
  canSubscribe: boolean;
  /** Id of the last subscriber offer sent; answers must echo it. */
  offerId: number;
  /** What the subscriber asked for per track id (UpdateTrackSettings). */
  settings: Map<string, SubscriberSettings>;
  /** Offer id of the last subscriber answer applied. */
  answeredOfferId: number;
  /** The publisher connection has a remote description for its current ICE credentials. */
  publisherReady: boolean;
  /**
   * Candidates that arrived before the description they belong to (browsers trickle as soon as they
   * gather, which can overtake the answer or the offer on the way); applied right after it.
   */
  early: { publisher: IceCandidateInit[]; subscriber: IceCandidateInit[] };
  /**
   * Subscriptions held back while the first subscriber offer is unanswered. werift's default
   * bundle policy (max-compat) gives a transceiver added before the remote side has accepted BUNDLE
   * its own ICE/DTLS transport, which libwebrtc then never connects; after the first answer every
   * transceiver shares the bundled one. Remove once the media core sets max-bundle on subscribers.
   */
  deferred: Set<string>;
  /** A subscription was applied, so the first subscriber offer is on its way. */
  negotiationStarted: boolean;
}

const EARLY_CANDIDATE_LIMIT = 64;

interface TrackRecord {
  trackId: string;
  participantId: string;
  mid: string;
  cid: string;
  kind: TrackKind;
  source: TrackSource;
  layers: SimulcastLayer[];
  muted: boolean;
  producer: Producer | undefined;
}

interface RoomRecord {
  roomId: string;
  router: Router;
  stats: MediaStats;
  peers: Map<string, PeerRecord>;
  tracks: Map<string, TrackRecord>;
  trackByProducer: Map<string, string>;
  closeReason: RouterClosedReason;
}

export type SfuEventListener = (event: SfuEvent) => void;

/** Counters that only grow; summed over live routers plus those already closed. */
type CounterKey = Exclude<keyof MediaStatsSnapshot, 'peers' | 'producers' | 'consumers'>;
const COUNTER_KEYS: CounterKey[] = [
  'packetsIn',
  'bytesIn',
  'packetsOut',
  'bytesOut',
  'packetsDropped',
  'nacksReceived',
  'nackedPackets',
  'retransmissionsSent',
  'retransmissionsMissed',
  'plisReceived',
  'plisSent',
  'layerSwitches',
  'containedErrors',
];

export interface WorkerTotals extends MediaStatsSnapshot {
  routers: number;
}

const SOURCE_NAMES: Record<TrackSource, string> = {
  [TrackSource.TRACK_SOURCE_UNSPECIFIED]: 'unspecified',
  [TrackSource.TRACK_SOURCE_CAMERA]: 'camera',
  [TrackSource.TRACK_SOURCE_MICROPHONE]: 'microphone',
  [TrackSource.TRACK_SOURCE_SCREEN_SHARE]: 'screen_share',
  [TrackSource.TRACK_SOURCE_SCREEN_SHARE_AUDIO]: 'screen_share_audio',
  [TrackSource.UNRECOGNIZED]: 'unspecified',
};

const STATE_MAP: Record<TransportConnectionState, PeerConnectionState> = {
  new: PeerConnectionState.PEER_CONNECTION_STATE_NEW,
  connecting: PeerConnectionState.PEER_CONNECTION_STATE_CONNECTING,
  connected: PeerConnectionState.PEER_CONNECTION_STATE_CONNECTED,
  disconnected: PeerConnectionState.PEER_CONNECTION_STATE_DISCONNECTED,
  failed: PeerConnectionState.PEER_CONNECTION_STATE_FAILED,
  closed: PeerConnectionState.PEER_CONNECTION_STATE_CLOSED,
};

function toTarget(target: TransportTarget): PeerTarget {
  return target === 'publisher' ? PeerTarget.PEER_TARGET_PUBLISHER : PeerTarget.PEER_TARGET_SUBSCRIBER;
}

function fromTarget(target: PeerTarget): TransportTarget {
  if (target === PeerTarget.PEER_TARGET_PUBLISHER) return 'publisher';
  if (target === PeerTarget.PEER_TARGET_SUBSCRIBER) return 'subscriber';
  throw AppError.invalid('target must be PUBLISHER or SUBSCRIBER');
}

function checkId(name: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw AppError.invalid(`${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/** The media core's typed errors become canonical codes; anything else stays internal. */
export function mediaToAppError(err: unknown): unknown {
  if (!(err instanceof MediaError)) return err;
  switch (err.code) {
    case 'INVALID_ARGUMENT':
    case 'SDP_REJECTED':
      return new AppError(ErrorCode.INVALID_ARGUMENT, err.message, {
        cause: err,
        reason: err.code.toLowerCase(),
      });
    case 'NOT_FOUND':
      return new AppError(ErrorCode.NOT_FOUND, err.message, { cause: err });
    case 'INVALID_STATE':
      return new AppError(ErrorCode.FAILED_PRECONDITION, err.message, { cause: err });
    case 'UNSUPPORTED':
      return new AppError(ErrorCode.UNIMPLEMENTED, err.message, { cause: err });
  }
}

function closedReason(reason: string): TrackClosedReason {
  if (reason === 'unpublished') return TrackClosedReason.TRACK_CLOSED_REASON_UNPUBLISHED;
  if (reason === 'peerclose' || reason === 'routerclose')
    return TrackClosedReason.TRACK_CLOSED_REASON_PEER_CLOSED;
  return TrackClosedReason.TRACK_CLOSED_REASON_UNSPECIFIED;
}

function newTrackId(): string {
  return `TR_${randomBytes(9).toString('base64url')}`;
}

export class SfuWorker {
  readonly workerId: string;
  readonly nodeId: string;
  private readonly logger: Logger;
  private readonly rooms = new Map<string, RoomRecord>();
  private readonly listeners = new Set<SfuEventListener>();
  private readonly retired: Record<CounterKey, number>;
  private readonly opts: SfuWorkerOptions;
  private draining = false;
  private stopped = false;
  private cpuLoad = 0;
  private cpuSample = { at: performance.now(), usage: process.cpuUsage() };
  private readonly cpuTimer: NodeJS.Timeout;

  constructor(opts: SfuWorkerOptions) {
    this.opts = opts;
    this.workerId = opts.workerId;
    this.nodeId = opts.nodeId;
    this.logger = opts.logger;
    this.retired = Object.fromEntries(COUNTER_KEYS.map((k) => [k, 0])) as Record<CounterKey, number>;
    this.cpuTimer = setInterval(() => this.sampleCpu(), 2000);
    this.cpuTimer.unref();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Listens to every event of the worker; returns the function that stops listening. */
  onEvent(listener: SfuEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SfuEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'SFU event listener threw');
      }
    }
  }

  private sampleCpu(): void {
    const now = performance.now();
    const usage = process.cpuUsage();
    const busyUs = usage.user - this.cpuSample.usage.user + (usage.system - this.cpuSample.usage.system);
    const wallUs = (now - this.cpuSample.at) * 1000;
    if (wallUs > 0) this.cpuLoad = Math.min(1, Math.max(0, busyUs / wallUs));
    this.cpuSample = { at: now, usage };
  }

  // ---- routers ----

  createRouter(roomId: string): { workerId: string; created: boolean } {
    checkId('room_id', roomId);
    if (this.rooms.has(roomId)) return { workerId: this.workerId, created: false };
    if (this.draining || this.stopped) throw AppError.unavailable(`worker ${this.workerId} is draining`);
    const stats = new MediaStats();
    const router = new Router({ ...this.opts.router, roomId, stats });
    const room: RoomRecord = {
      roomId,
      router,
      stats,
      peers: new Map(),
      tracks: new Map(),
      trackByProducer: new Map(),
      closeReason: RouterClosedReason.ROUTER_CLOSED_REASON_UNSPECIFIED,
    };
    this.rooms.set(roomId, room);
    this.wireRouter(room);
    this.logger.info({ room_id: roomId }, 'router created');
    return { workerId: this.workerId, created: true };
  }

  closeRouter(roomId: string, reason = RouterClosedReason.ROUTER_CLOSED_REASON_REQUESTED): boolean {
    const room = this.rooms.get(roomId);
    if (!room) return false;
    room.closeReason = reason;
    for (const rec of room.peers.values())
      rec.peer.close(reason === RouterClosedReason.ROUTER_CLOSED_REASON_SHUTDOWN ? SHUTDOWN : REQUESTED);
    room.router.close();
    return true;
  }

  private wireRouter(room: RoomRecord): void {
    const { router, roomId } = room;
    router.on('producerAdded', (producer) => this.onProducerAdded(room, producer));
    router.on('producerClosed', (producerId, participantId, reason) => {
      const trackId = room.trackByProducer.get(producerId);
      room.trackByProducer.delete(producerId);
      if (trackId === undefined) return;
      const rec = room.tracks.get(trackId);
      if (rec?.producer?.id === producerId) room.tracks.delete(trackId);
      if (reason === 'routerclose') return;
      this.emit({
        roomId,
        participantId,
        event: { $case: 'trackClosed', value: { trackId, reason: closedReason(reason) } },
      });
    });
    router.on('subscribedQualities', (producerId, participantId, qualities) => {
      const trackId = room.trackByProducer.get(producerId);
      if (trackId === undefined) return;
      this.emit({
        roomId,
        participantId,
        event: {
          $case: 'subscribedQuality',
          value: {
            trackId,
            layers: qualities.map((q) => ({ quality: (q.quality + 1) as VideoQuality, enabled: q.enabled })),
          },
        },
      });
    });
    router.on('speakersChanged', (speakers) => {
      this.emit({
        roomId,
        participantId: '',
        event: {
          $case: 'speakersChanged',
          value: {
            speakers: speakers.map((s) => ({
              participantId: s.participantId,
              level: Math.min(1, Math.max(0, s.level / 127)),
              active: true,
            })),
          },
        },
      });
    });
    router.on('peerLeft', (participantId, reason) => {
      room.peers.delete(participantId);
      for (const [id, rec] of room.tracks)
        if (rec.participantId === participantId && !rec.producer) room.tracks.delete(id);
      if (reason === REQUESTED || reason === SHUTDOWN || reason === 'routerclose') return;
      // Closed by the media core itself (connection failed, contained error): signaling must know.
      this.emit({
        roomId,
        participantId,
        event: {
          $case: 'transportFailure',
          value: { target: PeerTarget.PEER_TARGET_UNSPECIFIED, reason },
        },
      });
    });
    router.on('close', () => {
      this.rooms.delete(roomId);
      for (const key of COUNTER_KEYS) this.retired[key] += room.stats[key];
      this.emit({
        roomId,
        participantId: '',
        event: { $case: 'routerClosed', value: { reason: room.closeReason } },
      });
      this.logger.info({ room_id: roomId }, 'router closed');
    });
  }

  private onProducerAdded(room: RoomRecord, producer: Producer): void {
    let rec: TrackRecord | undefined;
    for (const t of room.tracks.values()) {
      if (t.participantId === producer.peerId && t.mid === producer.mid && !t.producer) {
        rec = t;
        break;
      }
    }
    if (!rec) {
      // Media on an m-line Publish did not see as sending (should not happen); still give it an id.
      rec = {
        trackId: newTrackId(),
        participantId: producer.peerId,
        mid: producer.mid,
        cid: '',
        kind: producer.kind === 'audio' ? TrackKind.TRACK_KIND_AUDIO : TrackKind.TRACK_KIND_VIDEO,
        source:
          producer.kind === 'audio' ? TrackSource.TRACK_SOURCE_MICROPHONE : TrackSource.TRACK_SOURCE_CAMERA,
        layers: [],
        muted: false,
        producer: undefined,
      };
      room.tracks.set(rec.trackId, rec);
    }
    rec.producer = producer;
    room.trackByProducer.set(producer.id, rec.trackId);
    this.emit({
      roomId: room.roomId,
      participantId: producer.peerId,
      event: {
        $case: 'trackPublished',
        value: {
          trackId: rec.trackId,
          cid: rec.cid,
          kind: rec.kind,
          source: rec.source,
          mimeType: producer.codec.mimeType,
          layers: rec.layers,
        },
      },
    });
  }

  private room(roomId: string): RoomRecord {
    checkId('room_id', roomId);
    const room = this.rooms.get(roomId);
    if (!room) throw AppError.notFound(`router of room ${roomId}`);
    return room;
  }

  private peerRecord(roomId: string, participantId: string): PeerRecord {
    const room = this.room(roomId);
    checkId('participant_id', participantId);
    const rec = room.peers.get(participantId);
    if (!rec || rec.peer.isClosed) throw AppError.notFound(`peer ${participantId} in room ${roomId}`);
    return rec;
  }

  // ---- peers ----

  createPeer(req: CreatePeerRequest): boolean {
    const room = this.room(req.roomId);
    checkId('participant_id', req.participantId);
    const existing = room.peers.get(req.participantId);
    if (existing && !existing.peer.isClosed) return false;
    const peer = room.router.createPeer(req.participantId, { ...this.opts.peer });
    const rec: PeerRecord = {
      peer,
      roomId: room.roomId,
      participantId: req.participantId,
      canPublish: req.canPublish,
      canSubscribe: req.canSubscribe,
      offerId: 0,
      settings: new Map(),
      answeredOfferId: 0,
      publisherReady: false,
      early: { publisher: [], subscriber: [] },
      deferred: new Set(),
      negotiationStarted: false,
    };
    room.peers.set(req.participantId, rec);
    const base = { roomId: room.roomId, participantId: req.participantId };
    peer.on('subscriberOffer', (sdp) => {
      rec.offerId += 1;
      this.emit({ ...base, event: { $case: 'subscriberOffer', value: { sdp, offerId: rec.offerId } } });
    });
    peer.on('iceCandidate', (target, c) => {
      const candidate =
        c === null
          ? { candidate: '' }
          : {
              candidate: c.candidate,
              ...(typeof c.sdpMid === 'string' ? { sdpMid: c.sdpMid } : {}),
              ...(typeof c.sdpMLineIndex === 'number' ? { sdpMlineIndex: c.sdpMLineIndex } : {}),
              ...(typeof c.usernameFragment === 'string' ? { usernameFragment: c.usernameFragment } : {}),
            };
      this.emit({
        ...base,
        event: { $case: 'iceCandidate', value: { target: toTarget(target), candidate } },
      });
    });
    peer.on('connectionState', (target, state) => {
      this.emit({
        ...base,
        event: { $case: 'peerState', value: { target: toTarget(target), state: STATE_MAP[state] } },
      });
    });
    peer.on('consumerAdded', (consumer) => {
      consumer.on('layerChanged', (layer) => {
        const trackId = room.trackByProducer.get(consumer.producerId);
        if (trackId === undefined) return;
        const producerLayer = layer >= 0 ? consumer.producer.layers[layer] : undefined;
        this.emit({
          ...base,
          event: {
            $case: 'layerChanged',
            value: {
              trackId,
              quality: layer < 0 ? VideoQuality.VIDEO_QUALITY_UNSPECIFIED : ((layer + 1) as VideoQuality),
              rid: producerLayer?.rid ?? '',
            },
          },
        });
      });
    });
    return true;
  }

  closePeer(roomId: string, participantId: string): boolean {
    const room = this.rooms.get(checkId('room_id', roomId));
    const rec = room?.peers.get(checkId('participant_id', participantId));
    if (!rec) return false;
    rec.peer.close(REQUESTED);
    return true;
  }

  // ---- negotiation ----

  async publish(req: PublishRequest): Promise<PublishResponse> {
    const rec = this.peerRecord(req.roomId, req.participantId);
    if (!rec.canPublish) throw AppError.forbidden('participant may not publish');
    if (
      typeof req.offerSdp !== 'string' ||
      req.offerSdp.length === 0 ||
      req.offerSdp.length > MAX_SDP_BYTES
    ) {
      throw AppError.invalid('offer_sdp must be an SDP of at most 256 KiB');
    }
    const room = this.room(req.roomId);
    const media = parseOfferMedia(req.offerSdp);
    const created: TrackRecord[] = [];
    const inOffer: TrackRecord[] = [];
    const metas: TrackMeta[] = [];
    const used = new Set<string>();
    for (const m of media) {
      if (!m.sending || m.mid === '') continue;
      let rec2: TrackRecord | undefined;
      for (const t of room.tracks.values()) {
        if (t.participantId === rec.participantId && t.mid === m.mid) rec2 = t;
      }
      const announced = req.tracks.find((t) => t.cid !== '' && t.cid === m.trackId && !used.has(t.cid));
      if (announced) used.add(announced.cid);
      const kind = m.kind === 'audio' ? TrackKind.TRACK_KIND_AUDIO : TrackKind.TRACK_KIND_VIDEO;
      if (!rec2) {
        rec2 = {
          trackId: newTrackId(),
          participantId: rec.participantId,
          mid: m.mid,
          cid: announced?.cid ?? m.trackId,
          kind,
          source:
            announced && announced.source !== TrackSource.TRACK_SOURCE_UNSPECIFIED
              ? announced.source
              : kind === TrackKind.TRACK_KIND_AUDIO
                ? TrackSource.TRACK_SOURCE_MICROPHONE
                : TrackSource.TRACK_SOURCE_CAMERA,
          layers: [...(announced?.layers ?? [])].sort((a, b) => a.quality - b.quality),
          muted: announced?.muted ?? false,
          producer: undefined,
        };
        created.push(rec2);
      }
      inOffer.push(rec2);
      const declaredRids = rec2.layers.map((l) => l.rid).filter((r) => r.length > 0);
      metas.push({
        mid: m.mid,
        source: SOURCE_NAMES[rec2.source],
        rids: declaredRids.length > 0 ? declaredRids : m.rids,
      });
    }
    for (const t of created) room.tracks.set(t.trackId, t);
    let answerSdp: string;
    try {
      answerSdp = await rec.peer.handlePublisherOffer(req.offerSdp, metas);
    } catch (err) {
      for (const t of created) if (!t.producer) room.tracks.delete(t.trackId);
      throw mediaToAppError(err);
    }
    rec.publisherReady = true;
    await this.flushEarly(rec, 'publisher');
    return {
      answerSdp,
      tracks: inOffer
        .filter((t) => room.tracks.get(t.trackId) === t)
        .map((t) => ({ cid: t.cid, trackId: t.trackId, mid: t.mid })),
    };
  }

  async setSubscriberAnswer(req: SetSubscriberAnswerRequest): Promise<void> {
    const rec = this.peerRecord(req.roomId, req.participantId);
    if (req.offerId !== 0 && req.offerId !== rec.offerId) {
      throw AppError.precondition(
        `answer to offer ${req.offerId} is stale (latest ${rec.offerId})`,
        'stale_answer',
      );
    }
    if (typeof req.answerSdp !== 'string' || req.answerSdp.length > MAX_SDP_BYTES) {
      throw AppError.invalid('answer_sdp must be an SDP of at most 256 KiB');
    }
    try {
      await rec.peer.handleSubscriberAnswer(req.answerSdp);
    } catch (err) {
      throw mediaToAppError(err);
    }
    const first = rec.answeredOfferId === 0;
    rec.answeredOfferId = rec.offerId;
    await this.flushEarly(rec, 'subscriber');
    if (first && rec.deferred.size > 0) {
      const trackIds = [...rec.deferred];
      rec.deferred.clear();
      this.subscribe({ roomId: rec.roomId, participantId: rec.participantId, trackIds, subscribe: true });
    }
  }

  private async flushEarly(rec: PeerRecord, target: TransportTarget): Promise<void> {
    const list = rec.early[target].splice(0);
    for (const c of list) {
      await rec.peer.addIceCandidate(target, c).catch((err: unknown) => {
        this.logger.debug({ err, participant_id: rec.participantId, target }, 'early ICE candidate rejected');
      });
    }
  }

  async addIceCandidate(req: AddIceCandidateRequest): Promise<void> {
    const rec = this.peerRecord(req.roomId, req.participantId);
    const target = fromTarget(req.target);
    const c = req.candidate;
    if (!c) throw AppError.invalid('candidate is required');
    if (c.candidate.length > 1024) throw AppError.invalid('candidate is too long');
    // End of candidates needs no action: werift gathers and checks without it.
    if (c.candidate === '') return;
    const init: IceCandidateInit = {
      candidate: c.candidate,
      sdpMid: c.sdpMid ?? null,
      sdpMLineIndex: c.sdpMlineIndex ?? null,
      usernameFragment: c.usernameFragment ?? null,
    };
    const early =
      target === 'publisher' ? !rec.publisherReady : rec.offerId === 0 || rec.answeredOfferId < rec.offerId;
    if (early) {
      if (rec.early[target].length >= EARLY_CANDIDATE_LIMIT)
        throw AppError.invalid('too many ICE candidates before the description');
      rec.early[target].push(init);
      return;
    }
    try {
      await rec.peer.addIceCandidate(target, init);
    } catch (err) {
      throw mediaToAppError(err);
    }
  }

  async restartIce(req: RestartIceRequest): Promise<{ answerSdp: string }> {
    const rec = this.peerRecord(req.roomId, req.participantId);
    const target = fromTarget(req.target);
    try {
      rec.peer.restartIce(target);
      if (target === 'publisher') rec.publisherReady = false;
      if (target === 'publisher' && req.offerSdp !== '') {
        const answerSdp = await rec.peer.handlePublisherOffer(req.offerSdp, []);
        rec.publisherReady = true;
        await this.flushEarly(rec, 'publisher');
        return { answerSdp };
      }
    } catch (err) {
      throw mediaToAppError(err);
    }
    return { answerSdp: '' };
  }

  // ---- tracks and subscriptions ----

  subscribe(req: SubscribeRequest): SubscribeResponse {
    const rec = this.peerRecord(req.roomId, req.participantId);
    const room = this.room(req.roomId);
    if (req.subscribe && !rec.canSubscribe) throw AppError.forbidden('participant may not subscribe');
    const unknown: string[] = [];
    let startsNegotiation = false;
    for (const trackId of req.trackIds) {
      const track = room.tracks.get(trackId);
      const producer = track?.producer;
      if (!track || !producer || producer.isClosed || track.participantId === rec.participantId) {
        unknown.push(trackId);
        continue;
      }
      if (!req.subscribe) {
        rec.deferred.delete(trackId);
        rec.peer.unsubscribe(producer.id);
        rec.settings.delete(trackId);
        continue;
      }
      // The first subscriptions start the first negotiation; later ones wait for its answer (the
      // offer event itself comes a tick later, so offerId cannot tell).
      if (
        rec.answeredOfferId === 0 &&
        rec.negotiationStarted &&
        rec.peer.getConsumer(producer.id) === undefined
      ) {
        rec.deferred.add(trackId);
        continue;
      }
      try {
        const had = rec.peer.getConsumer(producer.id) !== undefined;
        rec.peer.subscribe(producer.id, trackId);
        startsNegotiation = true;
        if (!had && (track.muted || rec.settings.has(trackId))) this.applySettings(rec, track);
      } catch (err) {
        throw mediaToAppError(err);
      }
    }
    if (startsNegotiation) rec.negotiationStarted = true;
    return { unknownTrackIds: unknown };
  }

  updateTrackSettings(req: UpdateTrackSettingsRequest): void {
    const rec = this.peerRecord(req.roomId, req.participantId);
    const track = this.room(req.roomId).tracks.get(req.trackId);
    if (!track?.producer || !rec.peer.getConsumer(track.producer.id)) {
      throw AppError.notFound(`subscription to track ${req.trackId}`);
    }
    rec.settings.set(req.trackId, {
      paused: req.paused,
      width: req.width,
      height: req.height,
      quality: req.quality,
    });
    this.applySettings(rec, track);
  }

  private applySettings(rec: PeerRecord, track: TrackRecord): void {
    const producer = track.producer;
    if (!producer || !rec.peer.getConsumer(producer.id)) return;
    const s = rec.settings.get(track.trackId);
    let request: LayerRequest = { quality: 2 };
    if (s && s.quality >= VideoQuality.VIDEO_QUALITY_LOW && s.quality <= VideoQuality.VIDEO_QUALITY_HIGH) {
      request = { quality: (s.quality - 1) as 0 | 1 | 2 };
    } else if (s && s.width > 0 && s.height > 0) {
      request = { width: s.width, height: s.height };
    }
    try {
      rec.peer.setPreferredLayers(producer.id, request, (s?.paused ?? false) || track.muted);
    } catch (err) {
      throw mediaToAppError(err);
    }
  }

  setTrackMuted(req: SetTrackMutedRequest): void {
    const rec = this.peerRecord(req.roomId, req.participantId);
    const room = this.room(req.roomId);
    const track = room.tracks.get(req.trackId);
    if (!track || track.participantId !== rec.participantId) {
      throw AppError.notFound(`track ${req.trackId} of participant ${req.participantId}`);
    }
    if (track.muted === req.muted) return;
    track.muted = req.muted;
    for (const other of room.peers.values()) this.applySettings(other, track);
  }

  // ---- stats and load ----

  getStats(roomId: string | undefined): GetStatsResponse {
    const routers: RouterStats[] = [];
    for (const room of this.rooms.values()) {
      if (roomId !== undefined && room.roomId !== roomId) continue;
      const peers: PeerStats[] = [];
      let producers = 0;
      let consumers = 0;
      for (const rec of room.peers.values()) {
        const p = rec.peer.producers.length;
        const c = rec.peer.getConsumers().length;
        producers += p;
        consumers += c;
        peers.push({
          participantId: rec.participantId,
          publisherState: STATE_MAP[rec.peer.publisher.connectionState],
          subscriberState: STATE_MAP[rec.peer.subscriber.connectionState],
          producerCount: p,
          consumerCount: c,
          // Per-peer packet counters are not kept by the media core (only per router); see ChangeLog.
          packetsReceived: 0,
          packetsSent: 0,
          bytesReceived: 0,
          bytesSent: 0,
          packetsLost: 0,
          nacksReceived: 0,
          keyFrameRequestsReceived: 0,
        });
      }
      routers.push({
        roomId: room.roomId,
        workerId: this.workerId,
        peers,
        peerCount: room.stats.peers,
        producerCount: Math.max(producers, room.stats.producers),
        consumerCount: Math.max(consumers, room.stats.consumers),
      });
    }
    return { routers };
  }

  /** Worker-wide totals: gauges from live routers, counters including closed routers. */
  totals(): WorkerTotals {
    const t = {
      routers: this.rooms.size,
      peers: 0,
      producers: 0,
      consumers: 0,
      ...this.retired,
    } as WorkerTotals;
    for (const room of this.rooms.values()) {
      t.peers += room.stats.peers;
      t.producers += room.stats.producers;
      t.consumers += room.stats.consumers;
      for (const key of COUNTER_KEYS) t[key] += room.stats[key];
    }
    return t;
  }

  load(): WorkerLoad {
    const t = this.totals();
    return {
      workerId: this.workerId,
      routerCount: t.routers,
      peerCount: t.peers,
      producerCount: t.producers,
      consumerCount: t.consumers,
      cpuLoad: this.cpuLoad,
      draining: this.draining,
    };
  }

  getLoad(): GetLoadResponse {
    return { nodeId: this.nodeId, workers: [this.load()] };
  }

  // ---- lifecycle ----

  /** Stops taking new rooms; existing rooms keep running. */
  drain(): void {
    this.draining = true;
  }

  /** Closes every router (signaling hears router_closed with SHUTDOWN). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.draining = true;
    clearInterval(this.cpuTimer);
    for (const roomId of [...this.rooms.keys()])
      this.closeRouter(roomId, RouterClosedReason.ROUTER_CLOSED_REASON_SHUTDOWN);
    this.listeners.clear();
  }
}
