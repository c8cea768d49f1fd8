// One participant in one room: the signaling session, the publisher connection (we offer, with
// simulcast camera, microphone and screen share) and the subscriber connection (the SFU offers).
// State lives in a Solid store so the meeting page renders straight from it.
import { createStore, produce, reconcile } from 'solid-js/store';
import type { ConnectionQuality } from '@origo/proto/signal';
import {
  RoomEndReason,
  SignalTarget,
  TrackKind,
  TrackSource,
  type IceServer,
  type JoinResponse,
  type ParticipantInfo,
  type SessionDescription,
  type TrackInfo,
  type Trickle,
} from '@origo/proto/signal';
import {
  announcedLayers,
  cameraEncodings,
  settingsChanged,
  settingsForTile,
  type TileView,
  type TrackSettings,
} from './layers.js';
import { getCamera, getMicrophone, getScreen } from './media.js';
import { lossBetween, qualityFromSample } from './quality.js';
import type { CloseReason, SessionPhase } from './protocol.js';
import { SignalClient, type ResponseMessage } from './SignalClient.js';

export interface RemoteTrack {
  info: TrackInfo;
  /** Set once the subscriber connection delivered the media. */
  stream: MediaStream | null;
}

export interface RoomState {
  phase: SessionPhase;
  /** Media paths are up (both connections connected at least once). */
  mediaConnected: boolean;
  /** Socket or ICE trouble right now; the banner shows while true. */
  reconnecting: boolean;
  self: ParticipantInfo | null;
  roomName: string;
  /** Everyone else, by sid. */
  participants: Record<string, ParticipantInfo>;
  /** Remote tracks by track sid. */
  tracks: Record<string, RemoteTrack>;
  /** Audio levels of active speakers by participant sid. */
  speaking: Record<string, number>;
  activeSpeaker: string | null;
  quality: Record<string, ConnectionQuality>;
  micMuted: boolean;
  cameraOff: boolean;
  sharing: boolean;
  /** Local preview stream (camera only). */
  localVideo: MediaStream | null;
  screenStream: MediaStream | null;
  ended: { reason: CloseReason; endReason: RoomEndReason } | null;
  notice: string | null;
  rttMs: number;
}

export interface RoomClientOptions {
  wsUrl: string;
  token: string;
  camera: MediaStreamTrack | null;
  microphone: MediaStreamTrack | null;
  /** Called with performance.now() when the first remote video frame is decoded. */
  onFirstRemoteFrame?: (at: number) => void;
}

type Target = 'publisher' | 'subscriber';

interface LocalPublication {
  source: TrackSource;
  track: MediaStreamTrack | null;
  transceiver: RTCRtpTransceiver;
  sid: string | null;
}

export class RoomClient {
  readonly state: RoomState;
  private readonly setState: ReturnType<typeof createStore<RoomState>>[1];
  private readonly signal: SignalClient;
  private pub: RTCPeerConnection | null = null;
  private sub: RTCPeerConnection | null = null;
  private iceServers: RTCIceServer[] = [];
  private readonly pendingCandidates: Record<Target, RTCIceCandidateInit[]> = {
    publisher: [],
    subscriber: [],
  };
  private readonly publications = new Map<TrackSource, LocalPublication>();
  private readonly trackPublishedWaiters = new Map<string, (info: TrackInfo) => void>();
  private offerId = 0;
  private negotiating = false;
  private negotiateAgain = false;
  private restartPublisherIce = false;
  private readonly subscribed = new Set<string>();
  private readonly trackSettings = new Map<string, TrackSettings>();
  private readonly tileViews = new Map<string, TileView>();
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private readonly lastLoss = new Map<string, { received: number; lost: number }>();
  private firstFrameSeen = false;
  private closed = false;
  private camera: MediaStreamTrack | null;
  private microphone: MediaStreamTrack | null;
  private readonly opts: RoomClientOptions;

  constructor(opts: RoomClientOptions) {
    this.opts = opts;
    this.camera = opts.camera;
    this.microphone = opts.microphone;
    const [state, setState] = createStore<RoomState>({
      phase: 'idle',
      mediaConnected: false,
      reconnecting: false,
      self: null,
      roomName: '',
      participants: {},
      tracks: {},
      speaking: {},
      activeSpeaker: null,
      quality: {},
      micMuted: opts.microphone === null || !opts.microphone.enabled,
      cameraOff: opts.camera === null,
      sharing: false,
      localVideo: opts.camera ? new MediaStream([opts.camera]) : null,
      screenStream: null,
      ended: null,
      notice: null,
      rttMs: 0,
    });
    this.state = state;
    this.setState = setState;
    this.signal = new SignalClient({ url: opts.wsUrl, token: opts.token });
    this.signal.on('phase', (s) => {
      this.setState('phase', s.phase);
      this.setState('reconnecting', s.phase === 'reconnecting' || s.phase === 'resuming');
    });
    this.signal.on('message', (m, requestId) => this.onMessage(m, requestId));
    this.signal.on('restartIce', () => this.restartIce());
    this.signal.on('resumed', (r) => {
      this.setParticipants(r.otherParticipants);
      if (r.participant) this.setState('self', reconcile(r.participant));
      this.iceServers = toIceServers(r.iceServers);
      this.pub?.setConfiguration({ iceServers: this.iceServers });
      this.sub?.setConfiguration({ iceServers: this.iceServers });
    });
    this.signal.on('rejoined', (r) => void this.rebuild(r));
    this.signal.on('rtt', (ms) => this.setState('rttMs', ms));
    this.signal.on('closed', (reason) => this.onClosed(reason, RoomEndReason.ROOM_END_REASON_UNSPECIFIED));
  }

  /** Joins the room and publishes the tracks given at construction. */
  async join(): Promise<void> {
    const r = await this.signal.connect();
    await this.setup(r);
    this.statsTimer = setInterval(() => void this.pollStats(), 2_000);
  }

  private async setup(r: JoinResponse): Promise<void> {
    this.iceServers = toIceServers(r.iceServers);
    this.setState('roomName', r.room?.name ?? '');
    if (r.participant) this.setState('self', reconcile(r.participant));
    this.setParticipants(r.otherParticipants);
    this.createConnections();
    const announced: Promise<unknown>[] = [];
    if (this.microphone)
      announced.push(this.publishTrack(TrackSource.TRACK_SOURCE_MICROPHONE, this.microphone));
    if (this.camera) announced.push(this.publishTrack(TrackSource.TRACK_SOURCE_CAMERA, this.camera));
    await Promise.all(announced);
    if (this.publications.size > 0) await this.negotiate();
    this.subscribeToAll();
  }

  /** A fresh session after a failed resume: new peer connections, same local tracks. */
  private async rebuild(r: JoinResponse): Promise<void> {
    this.pub?.close();
    this.sub?.close();
    this.pub = null;
    this.sub = null;
    this.publications.clear();
    this.subscribed.clear();
    this.trackSettings.clear();
    this.pendingCandidates.publisher.length = 0;
    this.pendingCandidates.subscriber.length = 0;
    this.setState('tracks', reconcile({}));
    this.setState('mediaConnected', false);
    const screen = this.state.screenStream?.getVideoTracks()[0] ?? null;
    await this.setup(r);
    if (screen !== null && screen.readyState === 'live') {
      await this.publishTrack(TrackSource.TRACK_SOURCE_SCREEN_SHARE, screen);
      await this.negotiate();
    }
  }

  private createConnections(): void {
    const config: RTCConfiguration = { iceServers: this.iceServers, bundlePolicy: 'max-bundle' };
    const pub = new RTCPeerConnection(config);
    const sub = new RTCPeerConnection(config);
    this.pub = pub;
    this.sub = sub;
    const wire = (pc: RTCPeerConnection, target: Target): void => {
      pc.onicecandidate = (e) => {
        if (this.pub !== pub || this.closed) return;
        const c = e.candidate;
        if (c === null) return;
        this.signal.send({ $case: 'trickle', value: toTrickle(target, c.toJSON()) });
      };
      pc.onconnectionstatechange = () => {
        if (this.pub !== pub || this.closed) return;
        const s = pc.connectionState;
        if (s === 'connected') {
          const other = target === 'publisher' ? sub : pub;
          const bothUp = other.connectionState === 'connected' || other.getTransceivers().length === 0;
          if (bothUp) this.setState('mediaConnected', true);
          if (this.signal.session.phase === 'joined') this.setState('reconnecting', false);
        } else if (s === 'disconnected' || s === 'failed') {
          this.setState('reconnecting', true);
          if (s === 'failed') this.restartIceOf(target);
        }
      };
    };
    wire(pub, 'publisher');
    wire(sub, 'subscriber');
    sub.ontrack = (e) => this.onRemoteTrack(e);
  }

  // ------------------------------------------------------------------------------------------------
  // Publishing
  // ------------------------------------------------------------------------------------------------

  private async publishTrack(source: TrackSource, track: MediaStreamTrack): Promise<void> {
    const pub = this.pub;
    if (pub === null) return;
    const video = track.kind === 'video';
    const settings = track.getSettings();
    const width = settings.width ?? 0;
    const height = settings.height ?? 0;
    const simulcast = source === TrackSource.TRACK_SOURCE_CAMERA;
    const transceiver = pub.addTransceiver(track, {
      direction: 'sendonly',
      streams: [new MediaStream([track])],
      ...(simulcast ? { sendEncodings: cameraEncodings() } : {}),
    });
    if (video) preferVp8(transceiver);
    const publication: LocalPublication = { source, track, transceiver, sid: null };
    this.publications.set(source, publication);
    // Signaling acks add_track and pushes track_published (with our cid) once the offer carrying the
    // track is answered; the sid is filled in then.
    this.trackPublishedWaiters.set(track.id, (info) => {
      publication.sid = info.sid;
    });
    await this.signal
      .request(
        {
          $case: 'addTrack',
          value: {
            cid: track.id,
            kind: video ? TrackKind.TRACK_KIND_VIDEO : TrackKind.TRACK_KIND_AUDIO,
            source,
            width,
            height,
            layers: simulcast ? announcedLayers(width, height) : [],
            muted: !track.enabled,
          },
        },
        10_000,
      )
      .then((m) => {
        if (m.$case === 'trackPublished' && m.value.track) publication.sid = m.value.track.sid;
      });
  }

  /** Publisher negotiation; calls made while one runs are coalesced into one more round. */
  private async negotiate(): Promise<void> {
    if (this.negotiating) {
      this.negotiateAgain = true;
      return;
    }
    const pub = this.pub;
    if (pub === null) return;
    this.negotiating = true;
    try {
      do {
        this.negotiateAgain = false;
        const iceRestart = this.restartPublisherIce;
        this.restartPublisherIce = false;
        const offer = await pub.createOffer(iceRestart ? { iceRestart: true } : undefined);
        await pub.setLocalDescription(offer);
        const id = ++this.offerId;
        const reply = await this.signal.request(
          { $case: 'publishOffer', value: { sdp: offer.sdp ?? '', id } },
          20_000,
        );
        if (reply.$case !== 'publisherAnswer')
          throw new Error(`unexpected reply ${reply.$case} to publish_offer`);
        await this.applyPublisherAnswer(reply.value);
      } while (this.negotiateAgain && this.pub === pub);
    } finally {
      this.negotiating = false;
    }
  }

  private async applyPublisherAnswer(answer: SessionDescription): Promise<void> {
    const pub = this.pub;
    // An answer to an older offer (a newer one is out) is stale.
    if (pub === null || answer.id !== this.offerId || pub.signalingState !== 'have-local-offer') return;
    await pub.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await this.drainCandidates('publisher');
  }

  // ------------------------------------------------------------------------------------------------
  // Subscribing
  // ------------------------------------------------------------------------------------------------

  private async onSubscriberOffer(offer: SessionDescription): Promise<void> {
    const sub = this.sub;
    if (sub === null) return;
    await sub.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await this.drainCandidates('subscriber');
    const answer = await sub.createAnswer();
    await sub.setLocalDescription(answer);
    this.signal.send({ $case: 'subscriberAnswer', value: { sdp: answer.sdp ?? '', id: offer.id } });
  }

  private subscribeToAll(): void {
    const sids: string[] = [];
    for (const p of Object.values(this.state.participants)) {
      for (const t of p.tracks) if (t.mimeType !== '' && !this.subscribed.has(t.sid)) sids.push(t.sid);
    }
    if (sids.length === 0) return;
    for (const s of sids) this.subscribed.add(s);
    this.signal.send({ $case: 'updateSubscription', value: { trackSids: sids, subscribe: true } });
  }

  private onRemoteTrack(e: RTCTrackEvent): void {
    const track = e.track;
    const info = this.matchTrack(track, e.streams[0]?.id ?? '');
    const stream = new MediaStream([track]);
    if (track.kind === 'video') this.watchFirstFrame(track);
    if (info === undefined) {
      // Not known yet (event raced the track list): keep it under its own id until it is.
      this.orphans.push({ track, streamId: e.streams[0]?.id ?? '' });
      return;
    }
    this.setState('tracks', info.sid, { info, stream });
    track.onended = () => {
      if (this.state.tracks[info.sid]?.stream === stream) this.setState('tracks', info.sid, 'stream', null);
    };
    this.applyTileView(info.sid);
  }

  private readonly orphans: { track: MediaStreamTrack; streamId: string }[] = [];
  private subChain: Promise<void> = Promise.resolve();

  /**
   * Which TrackInfo an incoming track is. The SFU names the stream after the publishing participant
   * (msid); the track id is matched first in case it carries the track sid. Several video tracks of
   * one participant (camera and screen) are told apart by their order of publication.
   */
  private matchTrack(track: MediaStreamTrack, streamId: string): TrackInfo | undefined {
    const bound = new Set(
      Object.values(this.state.tracks)
        .filter((t) => t.stream !== null)
        .map((t) => t.info.sid),
    );
    const all: TrackInfo[] = Object.values(this.state.participants).flatMap((p) => p.tracks);
    const byId = all.find((t) => t.sid === track.id);
    if (byId) return byId;
    const owner = Object.values(this.state.participants).find(
      (p) => p.sid === streamId || p.identity === streamId,
    );
    const kind = track.kind === 'video' ? TrackKind.TRACK_KIND_VIDEO : TrackKind.TRACK_KIND_AUDIO;
    const candidates = (owner ? owner.tracks : all).filter((t) => t.kind === kind && !bound.has(t.sid));
    // Camera before screen share: the camera is published first.
    candidates.sort((a, b) => sourceRank(a.source) - sourceRank(b.source));
    return candidates[0];
  }

  private bindOrphans(): void {
    for (const o of this.orphans.splice(0)) {
      const info = this.matchTrack(o.track, o.streamId);
      if (info === undefined) {
        this.orphans.push(o);
        continue;
      }
      this.setState('tracks', info.sid, { info, stream: new MediaStream([o.track]) });
      this.applyTileView(info.sid);
    }
  }

  private watchFirstFrame(track: MediaStreamTrack): void {
    if (this.firstFrameSeen || this.opts.onFirstRemoteFrame === undefined) return;
    // A detached video element decodes the track; its first frame callback is the first decoded frame.
    const v = document.createElement('video');
    v.muted = true;
    v.playsInline = true;
    v.srcObject = new MediaStream([track]);
    const done = (): void => {
      if (!this.firstFrameSeen) {
        this.firstFrameSeen = true;
        this.opts.onFirstRemoteFrame?.(performance.now());
      }
      v.srcObject = null;
    };
    v.requestVideoFrameCallback(() => done());
    void v.play().catch(() => undefined);
  }

  /** The meeting page reports how each remote video is shown; the SFU then sends what fits. */
  setTileView(trackSid: string, view: TileView): void {
    this.tileViews.set(trackSid, view);
    this.applyTileView(trackSid);
  }

  private applyTileView(trackSid: string): void {
    const view = this.tileViews.get(trackSid);
    const t = this.state.tracks[trackSid];
    if (view === undefined || t === undefined || t.info.kind !== TrackKind.TRACK_KIND_VIDEO) return;
    const next = settingsForTile(view, window.devicePixelRatio, t.info.width, t.info.height);
    if (!settingsChanged(this.trackSettings.get(trackSid), next)) return;
    this.trackSettings.set(trackSid, next);
    this.signal.send({ $case: 'updateTrackSettings', value: { trackSid, ...next } });
  }

  // ------------------------------------------------------------------------------------------------
  // Server messages
  // ------------------------------------------------------------------------------------------------

  private onMessage(m: ResponseMessage, requestId: string): void {
    switch (m.$case) {
      case 'subscriberOffer': {
        // Offers are applied strictly in order: a second offer must wait for the first answer.
        const offer = m.value;
        this.subChain = this.subChain
          .then(() => this.onSubscriberOffer(offer))
          .catch((e: unknown) => console.error('subscriber offer failed', e));
        return;
      }
      case 'publisherAnswer':
        // A reply to our publish_offer request is applied by negotiate(); only a pushed answer (no
        // request id) is applied here, or the same answer would be set twice.
        if (requestId === '') void this.applyPublisherAnswer(m.value).catch(() => undefined);
        return;
      case 'trickle':
        void this.addRemoteCandidate(m.value);
        return;
      case 'participantJoined':
        if (m.value.participant) this.upsertParticipant(m.value.participant);
        return;
      case 'participantUpdated':
        if (m.value.participant) {
          if (m.value.participant.sid === this.state.self?.sid)
            this.setState('self', reconcile(m.value.participant));
          else this.upsertParticipant(m.value.participant);
        }
        return;
      case 'participantLeft':
        this.removeParticipant(m.value.participantSid);
        return;
      case 'trackPublished': {
        const info = m.value.track;
        const waiter = this.trackPublishedWaiters.get(m.value.cid);
        this.trackPublishedWaiters.delete(m.value.cid);
        if (info) waiter?.(info);
        // A mute chosen before the sid was known is sent now.
        const own = [...this.publications.values()].find((p) => p.sid === info?.sid);
        if (
          own &&
          info &&
          own.track !== null &&
          info.muted !== !own.track.enabled &&
          own.source === TrackSource.TRACK_SOURCE_MICROPHONE
        ) {
          this.signal.send({ $case: 'muteTrack', value: { trackSid: info.sid, muted: !own.track.enabled } });
        }
        return;
      }
      case 'tracksChanged':
        this.onTracksChanged(m.value.updated, m.value.removedTrackSids);
        return;
      case 'speakersChanged': {
        const speaking: Record<string, number> = {};
        for (const s of m.value.speakers) if (s.active) speaking[s.participantSid] = s.level;
        this.setState('speaking', reconcile(speaking));
        const loudest = m.value.speakers.find((s) => s.active);
        if (loudest) this.setState('activeSpeaker', loudest.participantSid);
        return;
      }
      case 'connectionQuality':
        for (const q of m.value.updates) {
          this.serverQuality.add(q.participantSid);
          this.setState('quality', q.participantSid, q.quality);
        }
        return;
      case 'subscribedQualityUpdate':
        this.applyDynacast(m.value.trackSid, m.value.qualities);
        return;
      case 'trackMuted':
        this.onMutedByHost(m.value.trackSid);
        return;
      case 'roomEnded':
        this.onClosed('room_ended', m.value.reason);
        return;
      default:
        return;
    }
  }

  private setParticipants(list: readonly ParticipantInfo[]): void {
    const map: Record<string, ParticipantInfo> = {};
    for (const p of list) map[p.sid] = p;
    this.setState('participants', reconcile(map));
    this.syncTracks();
  }

  private upsertParticipant(p: ParticipantInfo): void {
    this.setState('participants', p.sid, reconcile(p));
    this.syncTracks();
  }

  private removeParticipant(sid: string): void {
    const p = this.state.participants[sid];
    this.setState(
      produce((s) => {
        delete s.participants[sid];
        delete s.speaking[sid];
        delete s.quality[sid];
        if (p) for (const t of p.tracks) delete s.tracks[t.sid];
        if (s.activeSpeaker === sid) s.activeSpeaker = null;
      }),
    );
    if (p) for (const t of p.tracks) this.subscribed.delete(t.sid);
  }

  private onTracksChanged(updated: readonly TrackInfo[], removed: readonly string[]): void {
    this.setState(
      produce((s) => {
        for (const t of updated) {
          const p = s.participants[t.participantSid];
          if (p === undefined) continue;
          const i = p.tracks.findIndex((x) => x.sid === t.sid);
          if (i >= 0) p.tracks[i] = t;
          else p.tracks.push(t);
        }
        for (const sid of removed) {
          for (const p of Object.values(s.participants)) {
            const i = p.tracks.findIndex((x) => x.sid === sid);
            if (i >= 0) p.tracks.splice(i, 1);
          }
          delete s.tracks[sid];
        }
      }),
    );
    for (const sid of removed) {
      this.subscribed.delete(sid);
      this.trackSettings.delete(sid);
    }
    this.syncTracks();
  }

  /** Keeps tracks[].info in step with the participant list and subscribes to new tracks. */
  private syncTracks(): void {
    this.setState(
      produce((s) => {
        for (const p of Object.values(s.participants)) {
          for (const t of p.tracks) {
            const existing = s.tracks[t.sid];
            if (existing) existing.info = t;
          }
        }
      }),
    );
    if (this.sub !== null) this.subscribeToAll();
    this.bindOrphans();
  }

  private applyDynacast(trackSid: string, qualities: readonly { quality: number; enabled: boolean }[]): void {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    if (pubn === undefined || pubn.sid !== trackSid) return;
    const sender = pubn.transceiver.sender;
    const params = sender.getParameters();
    if (params.encodings.length === 0) return;
    let changed = false;
    for (const enc of params.encodings) {
      const q = enc.rid === 'q' ? 1 : enc.rid === 'h' ? 2 : 3;
      const wanted = qualities.find((x) => x.quality === q)?.enabled ?? false;
      // Never pause every layer: the low one stays so a new subscriber gets a picture at once.
      const active = wanted || enc.rid === 'q';
      if (enc.active !== active) {
        enc.active = active;
        changed = true;
      }
    }
    if (changed) void sender.setParameters(params).catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------------
  // ICE
  // ------------------------------------------------------------------------------------------------

  private async addRemoteCandidate(t: Trickle): Promise<void> {
    const target: Target = t.target === SignalTarget.SIGNAL_TARGET_SUBSCRIBER ? 'subscriber' : 'publisher';
    const pc = target === 'publisher' ? this.pub : this.sub;
    if (pc === null || t.candidate === '') return;
    const init: RTCIceCandidateInit = {
      candidate: t.candidate,
      sdpMid: t.sdpMid ?? null,
      sdpMLineIndex: t.sdpMlineIndex ?? null,
      usernameFragment: t.usernameFragment ?? null,
    };
    if (pc.remoteDescription === null) {
      this.pendingCandidates[target].push(init);
      return;
    }
    await pc.addIceCandidate(init).catch(() => undefined);
  }

  private async drainCandidates(target: Target): Promise<void> {
    const pc = target === 'publisher' ? this.pub : this.sub;
    if (pc === null) return;
    for (const c of this.pendingCandidates[target].splice(0))
      await pc.addIceCandidate(c).catch(() => undefined);
  }

  /** After the socket resumed or a network change: new ICE credentials on both connections. */
  private restartIce(): void {
    this.restartIceOf('publisher');
    this.restartIceOf('subscriber');
  }

  private restartIceOf(target: Target): void {
    if (this.closed) return;
    if (target === 'publisher') {
      if (this.pub === null || this.publications.size === 0) return;
      this.restartPublisherIce = true;
      void this.negotiate().catch(() => undefined);
    } else {
      this.signal.send({ $case: 'iceRestart', value: { target: SignalTarget.SIGNAL_TARGET_SUBSCRIBER } });
    }
  }

  /** The browser reports a network change: drop the socket so it reconnects and resumes at once. */
  networkChanged(): void {
    if (this.signal.session.phase === 'joined') this.signal.dropSocket();
  }

  // ------------------------------------------------------------------------------------------------
  // Local controls
  // ------------------------------------------------------------------------------------------------

  setMicMuted(muted: boolean): void {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_MICROPHONE);
    if (this.microphone) this.microphone.enabled = !muted;
    this.setState('micMuted', muted);
    if (pubn?.sid) this.signal.send({ $case: 'muteTrack', value: { trackSid: pubn.sid, muted } });
  }

  async setCameraOff(off: boolean, deviceId: string | null = null): Promise<void> {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    if (off) {
      this.camera?.stop();
      this.camera = null;
      await pubn?.transceiver.sender.replaceTrack(null);
      this.setState({ cameraOff: true, localVideo: null });
      if (pubn?.sid) this.signal.send({ $case: 'muteTrack', value: { trackSid: pubn.sid, muted: true } });
      return;
    }
    const track = await getCamera(deviceId);
    this.camera = track;
    this.setState({ cameraOff: false, localVideo: new MediaStream([track]) });
    if (pubn) {
      await pubn.transceiver.sender.replaceTrack(track);
      pubn.track = track;
      if (pubn.sid) this.signal.send({ $case: 'muteTrack', value: { trackSid: pubn.sid, muted: false } });
    } else {
      await this.publishTrack(TrackSource.TRACK_SOURCE_CAMERA, track);
      await this.negotiate();
    }
  }

  /** Device switching during the call: replaceTrack keeps the negotiated sender. */
  async switchCamera(deviceId: string): Promise<void> {
    if (this.state.cameraOff) return this.setCameraOff(false, deviceId);
    const old = this.camera;
    const track = await getCamera(deviceId);
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    await pubn?.transceiver.sender.replaceTrack(track);
    if (pubn) pubn.track = track;
    this.camera = track;
    this.setState('localVideo', new MediaStream([track]));
    old?.stop();
  }

  async switchMicrophone(deviceId: string): Promise<void> {
    const old = this.microphone;
    const track = await getMicrophone(deviceId);
    track.enabled = !this.state.micMuted;
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_MICROPHONE);
    if (pubn) {
      await pubn.transceiver.sender.replaceTrack(track);
      pubn.track = track;
      this.microphone = track;
      old?.stop();
    } else {
      this.microphone = track;
      await this.publishTrack(TrackSource.TRACK_SOURCE_MICROPHONE, track);
      await this.negotiate();
    }
  }

  async startScreenShare(): Promise<void> {
    if (this.state.sharing) return;
    const track = await getScreen();
    track.addEventListener('ended', () => void this.stopScreenShare());
    this.setState({ sharing: true, screenStream: new MediaStream([track]) });
    await this.publishTrack(TrackSource.TRACK_SOURCE_SCREEN_SHARE, track);
    await this.negotiate();
  }

  async stopScreenShare(): Promise<void> {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_SCREEN_SHARE);
    this.setState({ sharing: false, screenStream: null });
    if (pubn === undefined) return;
    this.publications.delete(TrackSource.TRACK_SOURCE_SCREEN_SHARE);
    pubn.track?.stop();
    // A stopped transceiver makes its m-line inactive: the SFU closes the producer on the next offer.
    pubn.transceiver.stop();
    await this.negotiate().catch(() => undefined);
  }

  private onMutedByHost(trackSid: string): void {
    const mic = this.publications.get(TrackSource.TRACK_SOURCE_MICROPHONE);
    const cam = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    // An unknown sid (track_published not seen yet) is taken as the microphone: hosts mute audio.
    if (mic?.sid === trackSid || trackSid === '' || (cam?.sid !== trackSid && mic !== undefined)) {
      if (this.microphone) this.microphone.enabled = false;
      this.setState({ micMuted: true, notice: 'The host muted your microphone.' });
      return;
    }
    if (cam?.sid === trackSid) {
      void this.setCameraOff(true);
      this.setState('notice', 'The host turned off your camera.');
    }
  }

  dismissNotice(): void {
    this.setState('notice', null);
  }

  // Host actions over signaling.
  muteParticipant(participantSid: string): Promise<ResponseMessage> {
    return this.signal.request({ $case: 'muteParticipant', value: { participantSid, trackSid: '' } });
  }

  removeFromRoom(participantSid: string): Promise<ResponseMessage> {
    return this.signal.request({ $case: 'removeParticipant', value: { participantSid } });
  }

  endRoom(): Promise<ResponseMessage> {
    return this.signal.request({ $case: 'endRoom', value: {} });
  }

  // ------------------------------------------------------------------------------------------------
  // Stats
  // ------------------------------------------------------------------------------------------------

  /** Connection states and subscriptions, for diagnostics (the e2e tests print it on failure). */
  debug(): Record<string, unknown> {
    return {
      phase: this.signal.session.phase,
      pub: this.pub?.connectionState,
      sub: this.sub?.connectionState,
      subSignaling: this.sub?.signalingState,
      subTransceivers: this.sub
        ?.getTransceivers()
        .map((t) => `${t.mid}:${t.direction}:${t.receiver.track.kind}`),
      tracks: Object.entries(this.state.tracks).map(
        ([sid, t]) => `${sid}:${t.info.source}:${t.stream ? 'stream' : 'none'}`,
      ),
      settings: [...this.trackSettings.entries()],
      orphans: this.orphans.length,
      participants: Object.values(this.state.participants).map(
        (p) => `${p.name}:${p.tracks.map((t) => `${t.sid}/${t.source}/${t.mimeType}`).join(',')}`,
      ),
    };
  }

  /** Decoded frames per remote video track sid, read from the subscriber connection. */
  async framesDecoded(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const sub = this.sub;
    if (sub === null) return out;
    const bySsrcTrack = new Map<string, string>();
    for (const [sid, t] of Object.entries(this.state.tracks)) {
      const id = t.stream?.getVideoTracks()[0]?.id;
      if (id !== undefined) bySsrcTrack.set(id, sid);
    }
    const report = await sub.getStats();
    report.forEach((s: { type: string; kind?: string; trackIdentifier?: string; framesDecoded?: number }) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      const sid = bySsrcTrack.get(s.trackIdentifier ?? '') ?? s.trackIdentifier ?? 'unknown';
      out[sid] = (out[sid] ?? 0) + (s.framesDecoded ?? 0);
    });
    return out;
  }

  private async pollStats(): Promise<void> {
    const sub = this.sub;
    if (sub === null || this.closed) return;
    const byTrackId = new Map<string, string>();
    for (const t of Object.values(this.state.tracks)) {
      const id = t.stream?.getTracks()[0]?.id;
      if (id !== undefined) byTrackId.set(id, t.info.participantSid);
    }
    const totals = new Map<string, { received: number; lost: number; bytes: number }>();
    const report = await sub.getStats();
    report.forEach(
      (s: {
        type: string;
        trackIdentifier?: string;
        packetsReceived?: number;
        packetsLost?: number;
        bytesReceived?: number;
      }) => {
        if (s.type !== 'inbound-rtp') return;
        const p = byTrackId.get(s.trackIdentifier ?? '');
        if (p === undefined) return;
        const t = totals.get(p) ?? { received: 0, lost: 0, bytes: 0 };
        t.received += s.packetsReceived ?? 0;
        t.lost += s.packetsLost ?? 0;
        totals.set(p, t);
      },
    );
    for (const [sid, t] of totals) {
      const prev = this.lastLoss.get(sid) ?? { received: 0, lost: 0 };
      this.lastLoss.set(sid, t);
      // The server's report wins when there is one; the local reading fills in until then.
      if (this.serverQuality.has(sid)) continue;
      const flowing = t.received > prev.received;
      const q = qualityFromSample({ lossRatio: lossBetween(prev, t), rttMs: this.state.rttMs, flowing });
      this.setState('quality', sid, q);
    }
  }

  private readonly serverQuality = new Set<string>();

  // ------------------------------------------------------------------------------------------------
  // Leaving
  // ------------------------------------------------------------------------------------------------

  private onClosed(reason: CloseReason, endReason: RoomEndReason): void {
    if (this.state.ended === null) this.setState('ended', { reason, endReason });
    this.teardown();
  }

  leave(): void {
    this.signal.leave();
    this.onClosed('left', RoomEndReason.ROOM_END_REASON_UNSPECIFIED);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.pub?.close();
    this.sub?.close();
    this.camera?.stop();
    this.microphone?.stop();
    this.state.screenStream?.getTracks().forEach((t) => t.stop());
    this.setState({ localVideo: null, screenStream: null, sharing: false, reconnecting: false });
  }
}

function sourceRank(s: TrackSource): number {
  return s === TrackSource.TRACK_SOURCE_CAMERA || s === TrackSource.TRACK_SOURCE_MICROPHONE ? 0 : 1;
}

function toIceServers(list: readonly IceServer[]): RTCIceServer[] {
  return list
    .filter((s) => s.urls.length > 0)
    .map((s) => ({
      urls: [...s.urls],
      ...(s.username ? { username: s.username } : {}),
      ...(s.credential ? { credential: s.credential } : {}),
    }));
}

function toTrickle(target: Target, c: RTCIceCandidateInit): Trickle {
  return {
    target:
      target === 'publisher' ? SignalTarget.SIGNAL_TARGET_PUBLISHER : SignalTarget.SIGNAL_TARGET_SUBSCRIBER,
    candidate: c.candidate ?? '',
    sdpMid: c.sdpMid ?? undefined,
    sdpMlineIndex: c.sdpMLineIndex ?? undefined,
    usernameFragment: c.usernameFragment ?? undefined,
  };
}

/** The SFU forwards VP8 only: put it first so the offer does not lead with a codec it drops. */
function preferVp8(t: RTCRtpTransceiver): void {
  const caps = RTCRtpSender.getCapabilities?.('video');
  if (!caps || typeof t.setCodecPreferences !== 'function') return;
  const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === 'video/vp8');
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== 'video/vp8');
  if (vp8.length > 0) t.setCodecPreferences([...vp8, ...rest]);
}
