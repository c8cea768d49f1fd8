// One room in a worker: its Router, the peers, and the tracks with their identity. Turns the media core's
// events into the control API's events (a track went live or closed, dynacast, speakers, failures).
import { AppError, type Logger } from '@origo/kit';
import {
  RouterClosedReason,
  SignalTarget,
  TrackKind,
  TrackSource,
  VideoQuality,
  type CreatePeerRequest,
  type PublishRequest,
  type PublishResponse,
  type RouterStats,
  type SubscribeRequest,
  type SubscribeResponse,
  type UpdateTrackSettingsRequest,
} from '@origo/proto/sfu-rpc';
import {
  MediaStats,
  Router,
  type LayerRequest,
  type PeerOptions,
  type Producer,
  type RouterOptions,
  type TrackMeta,
} from '../media/index.js';
import { checkId, checkSdp, closedReason, media, SOURCE_NAMES, STATE_MAP } from './convert.js';
import { PeerSession, type EmitEvent } from './PeerSession.js';
import { parseOfferMedia } from './sdpMedia.js';
import { newTrackId, TrackRegistry, type WorkerTrack } from './tracks.js';

/** Reasons the worker gives the media core when signaling asked for a close, or the node stops. */
export const REQUESTED = 'requested';
export const SHUTDOWN = 'shutdown';

export interface WorkerRoomOptions {
  roomId: string;
  router: Omit<RouterOptions, 'roomId' | 'stats'> | undefined;
  peer: PeerOptions | undefined;
  logger: Logger;
  emit: EmitEvent;
  onClosed: (room: WorkerRoom) => void;
}

export class WorkerRoom {
  readonly roomId: string;
  readonly router: Router;
  readonly stats = new MediaStats();
  readonly peers = new Map<string, PeerSession>();
  readonly tracks = new TrackRegistry();
  private closeReason = RouterClosedReason.ROUTER_CLOSED_REASON_UNSPECIFIED;

  constructor(private readonly opts: WorkerRoomOptions) {
    this.roomId = opts.roomId;
    this.router = new Router({ ...opts.router, roomId: opts.roomId, stats: this.stats });
    this.wire();
  }

  private get base(): { roomId: string } {
    return { roomId: this.roomId };
  }

  private wire(): void {
    const { router, opts } = this;
    router.on('producerAdded', (producer) => this.onProducerAdded(producer));
    router.on('producerClosed', (producerId, participantId, reason) => {
      const track = this.tracks.remove(producerId);
      if (!track || reason === 'routerclose') return;
      opts.emit({
        ...this.base,
        participantId,
        event: { $case: 'trackClosed', value: { trackId: track.id, reason: closedReason(reason) } },
      });
    });
    router.on('subscribedQualities', (producerId, participantId, qualities) => {
      opts.emit({
        ...this.base,
        participantId,
        event: {
          $case: 'subscribedQuality',
          value: {
            trackId: producerId,
            layers: qualities.map((q) => ({ quality: (q.quality + 1) as VideoQuality, enabled: q.enabled })),
          },
        },
      });
    });
    router.on('speakersChanged', (speakers) => {
      opts.emit({
        ...this.base,
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
      this.peers.delete(participantId);
      this.tracks.dropPending(participantId);
      if (reason === REQUESTED || reason === SHUTDOWN || reason === 'routerclose') return;
      // Closed by the media core itself (connection failed, contained error): signaling must know.
      opts.emit({
        ...this.base,
        participantId,
        event: {
          $case: 'transportFailure',
          value: { target: SignalTarget.SIGNAL_TARGET_UNSPECIFIED, reason },
        },
      });
    });
    router.on('close', () => {
      opts.emit({
        ...this.base,
        participantId: '',
        event: { $case: 'routerClosed', value: { reason: this.closeReason } },
      });
      opts.onClosed(this);
    });
  }

  private onProducerAdded(producer: Producer): void {
    let track = this.tracks.get(producer.id);
    if (!track) {
      // Media on an m-line Publish did not see as sending (should not happen); still give it a record.
      const audio = producer.kind === 'audio';
      track = {
        id: producer.id,
        participantId: producer.peerId,
        mid: producer.mid,
        cid: '',
        kind: audio ? TrackKind.TRACK_KIND_AUDIO : TrackKind.TRACK_KIND_VIDEO,
        source: audio ? TrackSource.TRACK_SOURCE_MICROPHONE : TrackSource.TRACK_SOURCE_CAMERA,
        layers: [],
        width: 0,
        height: 0,
        muted: false,
        state: 'published',
        producer: undefined,
      };
      this.tracks.add(track);
    }
    track.producer = producer;
    track.state = 'live';
    this.opts.emit({
      ...this.base,
      participantId: producer.peerId,
      event: {
        $case: 'trackPublished',
        value: {
          trackId: track.id,
          cid: track.cid,
          kind: track.kind,
          source: track.source,
          mimeType: producer.codec.mimeType,
          layers: track.layers,
          muted: track.muted,
          width: track.width,
          height: track.height,
        },
      },
    });
  }

  // ---- peers ----

  peer(participantId: string): PeerSession {
    checkId('participant_id', participantId);
    const rec = this.peers.get(participantId);
    if (!rec || rec.peer.isClosed) throw AppError.notFound(`peer ${participantId} in room ${this.roomId}`);
    return rec;
  }

  createPeer(req: CreatePeerRequest): boolean {
    checkId('participant_id', req.participantId);
    const existing = this.peers.get(req.participantId);
    if (existing && !existing.peer.isClosed) return false;
    const peer = media(() => this.router.createPeer(req.participantId, { ...this.opts.peer }));
    const session = new PeerSession(peer, this.roomId, req, this.opts.emit, (err, target) =>
      this.opts.logger.debug(
        { err, participant_id: req.participantId, target },
        'early ICE candidate rejected',
      ),
    );
    this.peers.set(req.participantId, session);
    return true;
  }

  closePeer(participantId: string): boolean {
    const rec = this.peers.get(checkId('participant_id', participantId));
    if (!rec) return false;
    rec.peer.close(REQUESTED);
    return true;
  }

  // ---- publishing ----

  async publish(req: PublishRequest): Promise<PublishResponse> {
    const rec = this.peer(req.participantId);
    if (!rec.canPublish) throw AppError.forbidden('participant may not publish');
    checkSdp('offer_sdp', req.offerSdp);
    const created: WorkerTrack[] = [];
    const inOffer: WorkerTrack[] = [];
    const metas: TrackMeta[] = [];
    const used = new Set<string>();
    for (const m of parseOfferMedia(req.offerSdp)) {
      if (!m.sending || m.mid === '') continue;
      let track = this.tracks.forMid(rec.participantId, m.mid);
      if (!track) {
        const announced = req.tracks.find((t) => t.cid !== '' && t.cid === m.trackId && !used.has(t.cid));
        if (announced) used.add(announced.cid);
        const kind = m.kind === 'audio' ? TrackKind.TRACK_KIND_AUDIO : TrackKind.TRACK_KIND_VIDEO;
        track = {
          id: newTrackId(),
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
          width: announced?.width ?? 0,
          height: announced?.height ?? 0,
          muted: announced?.muted ?? false,
          state: 'published',
          producer: undefined,
        };
        created.push(track);
      }
      inOffer.push(track);
      const declaredRids = track.layers.map((l) => l.rid).filter((r) => r.length > 0);
      metas.push({
        mid: m.mid,
        trackId: track.id,
        source: SOURCE_NAMES[track.source],
        rids: declaredRids.length > 0 ? declaredRids : m.rids,
      });
    }
    for (const t of created) this.tracks.add(t);
    let answerSdp: string;
    try {
      answerSdp = await rec.answerPublisher(req.offerSdp, metas);
    } catch (err) {
      for (const t of created) if (t.state === 'published') this.tracks.remove(t.id);
      throw err;
    }
    return {
      answerSdp,
      tracks: inOffer
        .filter((t) => this.tracks.get(t.id) === t)
        .map((t) => ({ cid: t.cid, trackId: t.id, mid: t.mid })),
    };
  }

  setTrackMuted(participantId: string, trackId: string, muted: boolean): void {
    const rec = this.peer(participantId);
    const track = this.tracks.get(trackId);
    if (!track || track.participantId !== rec.participantId)
      throw AppError.notFound(`track ${trackId} of participant ${participantId}`);
    if (track.muted === muted) return;
    track.muted = muted;
    for (const other of this.peers.values()) this.applySettings(other, track);
  }

  // ---- subscriptions ----

  subscribe(req: SubscribeRequest): SubscribeResponse {
    const rec = this.peer(req.participantId);
    if (req.subscribe && !rec.canSubscribe) throw AppError.forbidden('participant may not subscribe');
    const unknown: string[] = [];
    for (const trackId of req.trackIds) {
      const track = this.tracks.get(trackId);
      const producer = track?.producer;
      if (!track || !producer || producer.isClosed || track.participantId === rec.participantId) {
        unknown.push(trackId);
        continue;
      }
      if (!req.subscribe) {
        rec.peer.unsubscribe(producer.id);
        rec.settings.delete(trackId);
        continue;
      }
      const had = rec.peer.getConsumer(producer.id) !== undefined;
      media(() => rec.peer.subscribe(producer.id, trackId));
      if (!had && (track.muted || rec.settings.has(trackId))) this.applySettings(rec, track);
    }
    return { unknownTrackIds: unknown };
  }

  updateTrackSettings(req: UpdateTrackSettingsRequest): void {
    const rec = this.peer(req.participantId);
    const track = this.tracks.get(req.trackId);
    if (!track?.producer || !rec.peer.getConsumer(track.producer.id))
      throw AppError.notFound(`subscription to track ${req.trackId}`);
    rec.settings.set(req.trackId, {
      paused: req.paused,
      width: req.width,
      height: req.height,
      quality: req.quality,
    });
    this.applySettings(rec, track);
  }

  private applySettings(rec: PeerSession, track: WorkerTrack): void {
    const producer = track.producer;
    if (!producer || !rec.peer.getConsumer(producer.id)) return;
    const s = rec.settings.get(track.id);
    let request: LayerRequest = { quality: 2 };
    if (s && s.quality >= VideoQuality.VIDEO_QUALITY_LOW && s.quality <= VideoQuality.VIDEO_QUALITY_HIGH) {
      request = { quality: (s.quality - 1) as 0 | 1 | 2 };
    } else if (s && s.width > 0 && s.height > 0) {
      request = { width: s.width, height: s.height };
    }
    media(() => rec.setPreferredLayers(producer.id, request, (s?.paused ?? false) || track.muted));
  }

  // ---- stats and lifecycle ----

  routerStats(workerId: string): RouterStats {
    const peers = [];
    let producers = 0;
    let consumers = 0;
    for (const rec of this.peers.values()) {
      const p = rec.peer.producers.length;
      const c = rec.peer.getConsumers().length;
      const counters = rec.peer.counters;
      producers += p;
      consumers += c;
      peers.push({
        participantId: rec.participantId,
        publisherState: STATE_MAP[rec.peer.publisher.connectionState],
        subscriberState: STATE_MAP[rec.peer.subscriber.connectionState],
        producerCount: p,
        consumerCount: c,
        packetsReceived: counters.packetsIn,
        packetsSent: counters.packetsOut,
        bytesReceived: counters.bytesIn,
        bytesSent: counters.bytesOut,
        // The media core does not track inbound sequence gaps per peer.
        packetsLost: 0,
        nacksReceived: counters.nacksReceived,
        keyFrameRequestsReceived: counters.keyframeRequestsReceived,
      });
    }
    return {
      roomId: this.roomId,
      workerId,
      peers,
      peerCount: this.stats.peers,
      producerCount: Math.max(producers, this.stats.producers),
      consumerCount: Math.max(consumers, this.stats.consumers),
      bytesReceived: this.stats.bytesIn,
      bytesSent: this.stats.bytesOut,
    };
  }

  close(reason: RouterClosedReason): void {
    this.closeReason = reason;
    const why = reason === RouterClosedReason.ROUTER_CLOSED_REASON_SHUTDOWN ? SHUTDOWN : REQUESTED;
    for (const rec of this.peers.values()) rec.peer.close(why);
    this.router.close();
  }
}
