// One participant in one room, as the meeting page sees it: the signaling session, the publisher and the
// subscriber connection, local and remote media, and the state the page renders (a Solid store). The parts
// live in their own files; this one creates them, routes server messages to them, and watches that media
// actually connects.
import { RoomEndReason, SignalTarget, type JoinResponse } from '@origo/proto/signal';
import { createStore, produce, reconcile } from 'solid-js/store';
import type { TileView } from './layers.js';
import { LocalMedia } from './LocalMedia.js';
import { toIceServers } from './PeerTransport.js';
import type { CloseReason } from './protocol.js';
import { PublisherConnection } from './PublisherConnection.js';
import { RemoteTracks } from './RemoteTracks.js';
import { AwayReporter } from './away.js';
import { ChatClient } from './ChatClient.js';
import { describeRoom } from './diagnostics.js';
import { RoomStats } from './RoomStats.js';
import {
  applySpeakers,
  applyTracksChanged,
  hostLeftNotice,
  initialRoomState,
  removeParticipant,
  setParticipants,
  upsertParticipant,
  type RoomState,
} from './roomState.js';
import { SignalClient, type ResponseMessage } from './SignalClient.js';
import { SubscriberConnection } from './SubscriberConnection.js';

export type { RemoteTrack, RoomState } from './roomState.js';

export interface RoomClientOptions {
  wsUrl: string;
  token: string;
  camera: MediaStreamTrack | null;
  microphone: MediaStreamTrack | null;
  /** Called with performance.now() when the first remote video frame is decoded. */
  onFirstRemoteFrame?: (at: number) => void;
  /** How long media may take to connect before the page explains what is wrong. Default 15 s. */
  mediaDeadlineMs?: number;
}

export const MEDIA_FAILURE_TEXT =
  'Audio and video could not connect to the meeting server. A firewall, VPN or proxy may be blocking ' +
  'them (they need UDP, or a TURN relay). Try again; if it keeps failing, ask whoever runs this server ' +
  'to set up TURN, or try another network.';

export class RoomClient {
  readonly state: RoomState;
  /** Chat, reactions, raised hands and typing of this session. */
  readonly chat: ChatClient;
  private readonly setState: ReturnType<typeof createStore<RoomState>>[1];
  private readonly signal: SignalClient;
  private readonly local: LocalMedia;
  private readonly remote: RemoteTracks;
  private readonly stats: RoomStats;
  private pub: PublisherConnection | null = null;
  private sub: SubscriberConnection | null = null;
  private iceServers: RTCIceServer[] = [];
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private mediaTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly opts: RoomClientOptions) {
    const [state, setState] = createStore<RoomState>(initialRoomState(opts.camera, opts.microphone));
    this.state = state;
    this.setState = setState;
    this.signal = new SignalClient({ url: opts.wsUrl, token: opts.token });
    this.chat = new ChatClient(this.signal, () => this.state.self?.identity ?? '');
    this.local = new LocalMedia(this.signal, () => this.pub, state, setState, opts.camera, opts.microphone);
    this.remote = new RemoteTracks(this.signal, state, setState, opts.onFirstRemoteFrame);
    this.stats = new RoomStats(
      state,
      (sid, q) =>
        this.change((s) => {
          if (q === undefined) delete s.quality[sid];
          else s.quality[sid] = q;
        }),
      (trouble) => this.setState('ownLinkTrouble', trouble),
    );
    new AwayReporter(this.signal); // lives as long as the signaling session, which it follows
    this.signal.on('phase', (s) => {
      this.setState('phase', s.phase);
      this.setState('reconnecting', s.phase === 'reconnecting' || s.phase === 'resuming');
    });
    this.signal.on('message', (m, requestId) => this.onMessage(m, requestId));
    this.signal.on('restartIce', () => this.restartIce());
    this.signal.on('resumed', (r) => {
      this.change((s) => setParticipants(s, r.otherParticipants));
      if (r.participant) this.setState('self', reconcile(r.participant));
      this.iceServers = toIceServers(r.iceServers);
      this.pub?.setIceServers(this.iceServers);
      this.sub?.setIceServers(this.iceServers);
      this.remote.sync(this.canSubscribe);
    });
    this.signal.on('rejoined', (r) => {
      // A new session (the server restarted, or lost ours) may have missed a recording's end: forget it.
      // Signaling tells a joining session about a running recording right after this response.
      this.setState('recordingId', null);
      this.rebuild(r).catch((e: unknown) => console.error('rejoin failed', e));
    });
    this.signal.on('rtt', (ms) => this.setState('rttMs', ms));
    this.signal.on('closed', (reason) => this.onClosed(reason, RoomEndReason.ROOM_END_REASON_UNSPECIFIED));
  }

  private change(fn: (s: RoomState) => void): void {
    this.setState(produce(fn));
  }

  private get canSubscribe(): boolean {
    return this.state.self?.permission?.canSubscribe ?? true;
  }

  /** Joins the room and publishes the tracks given at construction. */
  async join(): Promise<void> {
    const r = await this.signal.connect();
    await this.setup(r);
    this.statsTimer = setInterval(() => {
      const sub = this.sub;
      if (sub !== null && !this.closed)
        this.stats
          .poll(sub.pc, (trackSid) => this.remote.expectsMedia(trackSid))
          .catch((e: unknown) => console.error('stats unavailable', e));
    }, 2_000);
  }

  private async setup(r: JoinResponse): Promise<void> {
    this.iceServers = toIceServers(r.iceServers);
    this.setState('roomName', r.room?.name ?? '');
    if (r.participant) this.setState('self', reconcile(r.participant));
    this.change((s) => setParticipants(s, r.otherParticipants));
    this.createConnections();
    await this.local.publishInitial();
    if (this.local.count > 0) await this.pub?.negotiate();
    this.remote.sync(this.canSubscribe);
    this.watchMedia();
  }

  /** A fresh session after a failed resume: new peer connections, same local tracks. */
  private async rebuild(r: JoinResponse): Promise<void> {
    this.pub?.close();
    this.sub?.close();
    this.pub = null;
    this.sub = null;
    this.local.forget();
    this.remote.clear();
    this.setState('mediaConnected', false);
    await this.setup(r);
  }

  private createConnections(): void {
    const onState = (): void => this.onConnectionState();
    this.pub = new PublisherConnection(this.iceServers, this.signal, { onState });
    this.sub = new SubscriberConnection(this.iceServers, this.signal, {
      onState,
      onTrack: (e) => this.remote.onTrack(e),
    });
  }

  // ---- media health ----

  /** Something is supposed to flow: we publish, or the SFU has offered us tracks. */
  private expectsMedia(): boolean {
    return (this.pub?.hasSenders ?? false) || (this.sub?.negotiated ?? false);
  }

  private onConnectionState(): void {
    const pub = this.pub;
    const sub = this.sub;
    if (pub === null || sub === null || this.closed) return;
    const pubUp = pub.connectionState === 'connected' || !pub.hasSenders;
    const subUp = sub.connectionState === 'connected' || !sub.negotiated;
    if (pubUp && subUp && this.expectsMedia()) {
      this.setState({ mediaConnected: true, mediaFailure: null });
      if (this.signal.session.phase === 'joined') this.setState('reconnecting', false);
      this.clearMediaTimer();
      return;
    }
    for (const c of [pub, sub]) {
      const s = c.connectionState;
      if (s === 'disconnected' || s === 'failed') {
        this.setState('reconnecting', true);
        this.watchMedia();
      }
      if (s !== 'failed') continue;
      // restartPublisherIce() logs its own failure; the watchdog above retries.
      if (c === pub) void this.restartPublisherIce();
      else sub.restartIce();
    }
  }

  /** Starts (once) the deadline after which the page explains that media could not connect. */
  private watchMedia(): void {
    if (this.mediaTimer !== null || this.closed) return;
    this.mediaTimer = setTimeout(() => {
      this.mediaTimer = null;
      if (this.closed) return;
      const pubDown = (this.pub?.hasSenders ?? false) && this.pub?.connectionState !== 'connected';
      const subDown = (this.sub?.negotiated ?? false) && this.sub?.connectionState !== 'connected';
      if (pubDown || subDown) this.setState('mediaFailure', MEDIA_FAILURE_TEXT);
    }, this.opts.mediaDeadlineMs ?? 15_000);
  }

  private clearMediaTimer(): void {
    if (this.mediaTimer !== null) clearTimeout(this.mediaTimer);
    this.mediaTimer = null;
  }

  /** The person asked to try again after a media failure: new ICE on both connections. */
  retryMedia(): void {
    this.setState('mediaFailure', null);
    this.restartIce();
    this.watchMedia();
  }

  private async restartPublisherIce(): Promise<void> {
    await this.pub?.restartIce().catch((e: unknown) => console.error('publisher ICE restart failed', e));
  }

  /** After the socket resumed or a network change: new ICE credentials on both connections. */
  private restartIce(): void {
    if (this.closed) return;
    void this.restartPublisherIce();
    this.sub?.restartIce();
  }

  /** The browser reports a network change: the session resumes on a new socket now, then ICE restarts. */
  networkChanged(): void {
    this.signal.networkChanged();
  }

  // ---- local controls ----

  setMicMuted(muted: boolean): void {
    this.local.setMicMuted(muted);
  }

  setCameraOff(off: boolean, deviceId: string | null = null): Promise<void> {
    return this.local.setCameraOff(off, deviceId);
  }

  switchCamera(deviceId: string): Promise<void> {
    return this.local.switchCamera(deviceId);
  }

  switchMicrophone(deviceId: string): Promise<void> {
    return this.local.switchMicrophone(deviceId);
  }

  startScreenShare(): Promise<void> {
    return this.local.startScreenShare();
  }

  stopScreenShare(): Promise<void> {
    return this.local.stopScreenShare();
  }

  /** The current join token, for meeting-scoped REST calls (recording) as this participant. */
  get joinToken(): string {
    return this.signal.joinToken;
  }

  dismissNotice(): void {
    this.setState('notice', null);
  }

  /** The meeting page reports how each remote video is shown; the SFU then sends what fits. */
  setTileView(trackSid: string, view: TileView): void {
    this.remote.setView(trackSid, view);
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

  // ---- server messages ----

  private onMessage(m: ResponseMessage, requestId: string): void {
    switch (m.$case) {
      case 'subscriberOffer':
        this.sub?.onOffer(m.value);
        return;
      case 'publisherAnswer':
        // A reply to our publish_offer request is applied by negotiate(); only a pushed answer (no
        // request id) is applied here, or the same answer would be set twice.
        if (requestId === '')
          this.pub?.applyAnswer(m.value).catch((e: unknown) => console.error('publisher answer failed', e));
        return;
      case 'trickle': {
        const t = m.value;
        if (t.candidate === '') return;
        const init: RTCIceCandidateInit = {
          candidate: t.candidate,
          sdpMid: t.sdpMid ?? null,
          sdpMLineIndex: t.sdpMlineIndex ?? null,
          usernameFragment: t.usernameFragment ?? null,
        };
        const target = t.target === SignalTarget.SIGNAL_TARGET_SUBSCRIBER ? this.sub : this.pub;
        // addRemoteCandidate() drops a candidate the browser refuses (a late one after a restart).
        void target?.addRemoteCandidate(init);
        return;
      }
      case 'participantJoined':
        if (m.value.participant) this.upsert(m.value.participant);
        return;
      case 'participantUpdated':
        if (m.value.participant) {
          if (m.value.participant.sid === this.state.self?.sid)
            this.setState('self', reconcile(m.value.participant));
          else this.upsert(m.value.participant);
        }
        return;
      case 'participantLeft': {
        let gone: string[] = [];
        this.change((s) => {
          const notice = hostLeftNotice(s, m.value.participantSid);
          if (notice !== null) s.notice = notice;
          gone = removeParticipant(s, m.value.participantSid);
        });
        this.remote.forget(gone);
        return;
      }
      case 'trackPublished':
        if (m.value.track) this.local.onTrackPublished(m.value.cid, m.value.track);
        return;
      case 'tracksChanged':
        this.change((s) => applyTracksChanged(s, m.value.updated, m.value.removedTrackSids));
        this.remote.forget(m.value.removedTrackSids);
        this.remote.sync(this.canSubscribe);
        return;
      case 'speakersChanged':
        this.change((s) => applySpeakers(s, m.value.speakers));
        return;
      case 'connectionQuality':
        for (const q of m.value.updates) {
          this.stats.serverQuality.add(q.participantSid);
          this.setState('quality', q.participantSid, q.quality);
        }
        return;
      case 'subscribedQualityUpdate':
        this.local.applyDynacast(m.value.trackSid, m.value.qualities);
        return;
      case 'trackMuted':
        this.local
          .onMutedByHost(m.value.trackSid)
          .catch((e: unknown) => console.error('host mute failed', e));
        return;
      case 'roomEnded':
        this.onClosed(
          m.value.reason === RoomEndReason.ROOM_END_REASON_ADMIN
            ? 'admin_ended'
            : m.value.reason === RoomEndReason.ROOM_END_REASON_CANCELLED
              ? 'cancelled'
              : 'room_ended',
          m.value.reason,
        );
        return;
      case 'timeLimitWarning':
        this.setState('timeLimit', { ...m.value });
        return;
      case 'recordingChanged':
        this.setState('recordingId', m.value.recording ? m.value.recordingId : null);
        return;
      default:
        return;
    }
  }

  private upsert(p: Parameters<typeof upsertParticipant>[1]): void {
    this.change((s) => upsertParticipant(s, p));
    this.remote.sync(this.canSubscribe);
  }

  // ---- diagnostics ----

  /** Connection states and subscriptions, for diagnostics (the e2e tests print it on failure). */
  debug(): Record<string, unknown> {
    return describeRoom({
      phase: this.signal.session.phase,
      pub: this.pub,
      sub: this.sub,
      state: this.state,
      remote: this.remote,
    });
  }

  /** Decoded frames per remote video track sid, read from the subscriber connection. */
  async framesDecoded(): Promise<Record<string, number>> {
    return this.sub === null ? {} : this.stats.framesDecoded(this.sub.pc);
  }

  // ---- leaving ----

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
    this.chat.close();
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.clearMediaTimer();
    this.pub?.close();
    this.sub?.close();
    this.local.stopAll();
    this.setState({ localVideo: null, screenStream: null, sharing: false, reconnecting: false });
  }
}
