// werift implementation of the transport seam. With WeriftIceGuard.ts, the only file of the media plane
// that imports werift: everything werift calls back into is wrapped, so a throw inside becomes onFatal for
// this transport (its peer closes) instead of an uncaught exception in the worker.
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  ntpTime,
  useAbsSendTime,
  useAudioLevelIndication,
  useFIR,
  useNACK,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  type MediaStreamTrack,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import { networkInterfaces } from 'node:os';
import { extraHostAddresses } from './hostAddresses.js';
import { absSendTime, parseAudioLevel, rembExpMantissa, trimNackList } from './rtp.js';
import { addStartBitrate, stripTransportCc } from './sdp.js';
import { installIceGuard } from './WeriftIceGuard.js';
import type {
  CodecInfo,
  IceCandidateInit,
  InboundPacket,
  InboundTrack,
  MediaKind,
  OutboundFeedback,
  OutboundTrack,
  PublisherTransport,
  StreamContinuity,
  SubscriberTransport,
  TransportConnectionState,
  TransportFactory,
} from './transport.js';

const MDNS_CANDIDATE = /^\S*candidate:\S+ \d+ \S+ \d+ \S+\.local /i;
const URI_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const URI_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
const URI_AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export interface WeriftTransportOptions {
  /** x-google-start-bitrate put into publisher answers, kbps. Default 1500. */
  startBitrateKbps?: number;
  /** REMB announced to publishers, bps. Default 3,000,000. */
  publisherBitrateBps?: number;
  /** Restrict ICE to IPv4 (default true; test machines are loopback / IPv4 only). */
  ipv4Only?: boolean;
  /** UDP port range for ICE, e.g. [40000, 40999]. Default: any. */
  icePortRange?: [number, number];
  /** Addresses to put into host candidates (NAT, Kubernetes); default the local interfaces. */
  announcedAddresses?: string[];
}

function videoCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({
      mimeType: 'video/VP8',
      clockRate: 90000,
      payloadType: 96,
      rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()],
    }),
  ];
}

function audioCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      payloadType: 111,
      parameters: 'minptime=10;useinbandfec=1',
    }),
  ];
}

function baseConfig(
  opts: WeriftTransportOptions,
  publisher: boolean,
): ConstructorParameters<typeof RTCPeerConnection>[0] {
  const ipv4Only = opts.ipv4Only ?? true;
  const extra = extraHostAddresses(opts.announcedAddresses ?? [], networkInterfaces(), ipv4Only);
  return {
    codecs: { video: videoCodecs(), audio: audioCodecs() },
    headerExtensions: publisher
      ? {
          video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId(), useAbsSendTime()],
          audio: [useSdesMid(), useAudioLevelIndication()],
        }
      : { video: [useSdesMid(), useAbsSendTime()], audio: [useSdesMid()] },
    // Subscriber connections are ours to shape: one transport for every m-line, so a track added while
    // an offer is still unanswered never gets an ICE transport of its own that the client won't connect.
    ...(publisher ? {} : { bundlePolicy: 'max-bundle' as const }),
    iceUseIpv4: true,
    iceUseIpv6: !ipv4Only,
    ...(opts.icePortRange ? { icePortRange: opts.icePortRange } : {}),
    ...(extra.length > 0 ? { iceAdditionalHostAddresses: extra } : {}),
  };
}

type Disposer = () => void;

/** State shared by both transports: PC lifecycle, ICE trickle, containment. */
abstract class WeriftBase {
  readonly pc: RTCPeerConnection;
  onConnectionState: ((state: TransportConnectionState) => void) | null = null;
  onIceCandidate: ((candidate: IceCandidateInit | null) => void) | null = null;
  onFatal: ((error: unknown) => void) | null = null;
  protected closed = false;
  protected readonly disposers: Disposer[] = [];
  protected readonly timers: NodeJS.Timeout[] = [];

  constructor(config: ConstructorParameters<typeof RTCPeerConnection>[0]) {
    this.pc = new RTCPeerConnection(config);
    this.listen(this.pc.connectionStateChange, (state) => {
      this.onStateChange(state);
      this.onConnectionState?.(state);
    });
    this.listen(this.pc.onIceCandidate, (c) => {
      this.onIceCandidate?.(c ? (c.toJSON() as IceCandidateInit) : null);
    });
  }

  get connectionState(): TransportConnectionState {
    return this.closed ? 'closed' : this.pc.connectionState;
  }

  protected onStateChange(_state: TransportConnectionState): void {}

  /** Subscribes to a werift event with the handler wrapped for containment. */
  protected listen<A extends unknown[]>(
    ev: { subscribe(fn: (...args: A) => void): { unSubscribe(): void } },
    fn: (...args: A) => void,
  ): void {
    const sub = ev.subscribe((...args: A) => {
      if (this.closed) return;
      try {
        fn(...args);
      } catch (error) {
        this.fail(error);
      }
    });
    this.disposers.push(() => sub.unSubscribe());
  }

  protected every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      if (this.closed) return;
      try {
        fn();
      } catch (error) {
        this.fail(error);
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  protected fail(error: unknown): void {
    if (this.closed) return;
    const cb = this.onFatal;
    if (cb) cb(error);
    else this.close();
  }

  /** Per ICE transport, the restart count whose connectivity checks we started (see resumeRestartedIce). */
  private readonly checkedRestarts = new WeakMap<object, number>();

  /**
   * Runs the connectivity checks of an ICE restart that werift itself skips. werift (0.25) starts the
   * checks from its connect step only while DTLS is not yet connected; after a restart DTLS still is, so
   * the new ICE generation pairs no candidates, leaves the browser's checks queued, nominates nothing and
   * has no consent to send (RFC 7675): everything we send is dropped, while the browser, whose checks
   * werift does answer, reports the connection as connected. It recovers only when a trickled candidate
   * happens to arrive before the browser's first check. Called once the restart's description pair is
   * complete (our answer set, or the client's answer applied).
   */
  protected resumeRestartedIce(): void {
    for (const dtls of this.pc.dtlsTransports) {
      const ice = dtls.iceTransport;
      const restarts = ice.iceRestarts;
      if (restarts === 0 || this.checkedRestarts.get(ice) === restarts) continue;
      if (dtls.state !== 'connected' || ice.state === 'closed' || ice.state === 'checking') continue;
      if (ice.connection.nominated !== undefined) continue;
      if (!ice.connection.remoteUsername || !ice.connection.remotePassword) continue;
      this.checkedRestarts.set(ice, restarts);
      // A generation that fails its checks sets the ICE transport to failed, which werift reports as the
      // connection state the peer already handles like any other lost connection.
      ice.start().catch(() => undefined);
    }
  }

  async addIceCandidate(candidate: IceCandidateInit | null): Promise<void> {
    if (this.closed) return;
    if (candidate === null) {
      await this.pc.addIceCandidate(undefined);
      return;
    }
    // A browser hides its host addresses behind mDNS names (RFC 8828). An SFU is never on the browser's
    // link, so a lookup can only time out (werift waits 10 s and multicasts the query); the browser's
    // checks against our candidates give us its address as peer-reflexive anyway.
    if (MDNS_CANDIDATE.test(candidate.candidate ?? '')) return;
    await this.pc.addIceCandidate(candidate as Parameters<RTCPeerConnection['addIceCandidate']>[0]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const d of this.disposers) {
      try {
        d();
      } catch {
        // Unsubscribing from a closed werift event may throw; nothing to keep.
      }
    }
    this.disposers.length = 0;
    this.onConnectionState = null;
    this.onIceCandidate = null;
    this.onFatal = null;
    this.pc.close().catch(() => undefined);
  }
}

function codecInfo(c: RTCRtpCodecParameters | undefined, kind: MediaKind): CodecInfo {
  if (!c)
    return kind === 'video'
      ? { mimeType: 'video/VP8', clockRate: 90000 }
      : { mimeType: 'audio/opus', clockRate: 48000, channels: 2 };
  const info: CodecInfo = { mimeType: c.mimeType, clockRate: c.clockRate };
  if (c.channels !== undefined) info.channels = c.channels;
  if (c.parameters !== undefined) info.parameters = c.parameters;
  return info;
}

class WeriftInboundTrack implements InboundTrack {
  onPacket: ((packet: InboundPacket) => void) | null = null;
  /** Learned from packets: rid-only simulcast tracks have no SSRC in the SDP. */
  ssrc = 0;
  private readonly pkt: InboundPacket = {
    ssrc: 0,
    seq: 0,
    ts: 0,
    marker: false,
    payloadType: 0,
    payload: Buffer.alloc(0),
    audioLevel: -1,
  };

  constructor(
    readonly mid: string,
    readonly kind: MediaKind,
    readonly rid: string | undefined,
    readonly codec: CodecInfo,
    private readonly transceiver: RTCRtpTransceiver,
    private readonly audioLevelId: number,
  ) {}

  /** Called by werift per packet; werift already decrypted, parsed and de-RTX'd it. */
  deliver(rtp: RtpPacket): void {
    const h = rtp.header;
    const p = this.pkt;
    p.ssrc = h.ssrc;
    p.seq = h.sequenceNumber;
    p.ts = h.timestamp;
    p.marker = h.marker;
    p.payloadType = h.payloadType;
    p.payload = rtp.payload;
    p.audioLevel = -1;
    if (this.audioLevelId > 0) {
      const exts = h.extensions;
      for (let i = 0; i < exts.length; i++) {
        const e = exts[i]!;
        if (e.id === this.audioLevelId) {
          p.audioLevel = parseAudioLevel(e.payload);
          break;
        }
      }
    }
    this.ssrc = h.ssrc;
    this.onPacket?.(p);
  }

  requestKeyframe(): void {
    if (this.ssrc === 0) return;
    this.transceiver.receiver.sendRtcpPLI(this.ssrc).catch(() => undefined);
  }
}

export class WeriftPublisherTransport extends WeriftBase implements PublisherTransport {
  onTrack: ((track: InboundTrack) => void) | null = null;
  private readonly inbound: WeriftInboundTrack[] = [];
  private bitrateBps: number;
  private readonly startKbps: number;

  constructor(opts: WeriftTransportOptions = {}) {
    super(baseConfig(opts, true));
    this.bitrateBps = opts.publisherBitrateBps ?? 3_000_000;
    this.startKbps = opts.startBitrateKbps ?? 1500;
    this.listen(this.pc.onRemoteTransceiverAdded, (tr) => {
      this.listen(tr.onTrack, (track: MediaStreamTrack) => this.addInbound(tr, track));
    });
    this.every(1000, () => this.sendRemb());
  }

  private addInbound(tr: RTCRtpTransceiver, track: MediaStreamTrack): void {
    const kind: MediaKind = tr.kind === 'audio' ? 'audio' : 'video';
    const levelExt = tr.headerExtensions.find((e) => e.uri === URI_AUDIO_LEVEL);
    const t = new WeriftInboundTrack(
      tr.mid ?? '',
      kind,
      track.rid,
      codecInfo(track.codec ?? tr.codecs[0], kind),
      tr,
      kind === 'audio' && levelExt ? levelExt.id : 0,
    );
    this.inbound.push(t);
    this.listen(track.onReceiveRtp, (rtp: RtpPacket) => t.deliver(rtp));
    this.onTrack?.(t);
  }

  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: stripTransportCc(offerSdp) });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.resumeRestartedIce();
    const local = this.pc.localDescription;
    if (!local) throw new Error('werift produced no local description');
    return addStartBitrate(local.sdp, this.startKbps);
  }

  activeMids(): Set<string> {
    const mids = new Set<string>();
    for (const tr of this.pc.getTransceivers()) {
      const d = tr.currentDirection;
      if (tr.mid != null && !tr.stopped && (d === 'recvonly' || d === 'sendrecv')) mids.add(tr.mid);
    }
    return mids;
  }

  setPublisherBitrate(bps: number): void {
    this.bitrateBps = bps;
    this.sendRemb();
  }

  restartIce(): void {
    this.pc.restartIce();
  }

  /** REMB to the publisher so its estimate is not stuck at the start rate (RFC-less, goog-remb). */
  private sendRemb(): void {
    if (this.pc.connectionState !== 'connected') return;
    const ssrcs: number[] = [];
    for (const t of this.inbound) if (t.kind === 'video' && t.ssrc !== 0) ssrcs.push(t.ssrc);
    if (ssrcs.length === 0) return;
    const dtls = this.pc.dtlsTransports[0];
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    if (!dtls || !receiver) return;
    const { exp, mantissa } = rembExpMantissa(this.bitrateBps);
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      brExp: exp,
      brMantissa: mantissa,
      bitrate: BigInt(this.bitrateBps),
      ssrcFeedbacks: ssrcs,
    });
    dtls.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })]).catch(() => undefined);
  }
}

class WeriftOutboundTrack implements OutboundTrack {
  feedback: OutboundFeedback | null = null;
  continuity: StreamContinuity | null = null;
  active = true;
  readonly ssrc: number;
  packetCount = 0;
  octetCount = 0;
  lastTs = 0;
  lastSentMs = 0;
  private readonly header = new RtpHeader();
  private extsBuilt = false;
  private astBuf: Buffer | null = null;
  private payloadType = 0;
  private readonly nackScratch: number[] = [];

  constructor(
    readonly kind: MediaKind,
    readonly streamId: string,
    readonly transceiver: RTCRtpTransceiver,
    private readonly owner: WeriftSubscriberTransport,
    readonly clockRate: number,
  ) {
    this.ssrc = transceiver.sender.ssrc;
  }

  get ready(): boolean {
    return this.active && this.owner.isConnected && this.transceiver.sender.codec !== undefined;
  }

  /** Header extensions are fixed per m-line once negotiated; built on the first send. */
  private buildHeader(): void {
    const h = this.header;
    h.ssrc = this.ssrc;
    const codec = this.transceiver.sender.codec;
    this.payloadType = codec ? codec.payloadType : 0;
    h.payloadType = this.payloadType;
    h.extensions = [];
    for (const e of this.transceiver.headerExtensions) {
      if (e.uri === URI_MID && this.transceiver.mid != null) {
        h.extensions.push({ id: e.id, payload: Buffer.from(this.transceiver.mid, 'ascii') });
      } else if (e.uri === URI_ABS_SEND_TIME) {
        this.astBuf = Buffer.alloc(3);
        h.extensions.push({ id: e.id, payload: this.astBuf });
      }
    }
    h.extensions.sort((a, b) => a.id - b.id);
    h.extension = h.extensions.length > 0;
    this.extsBuilt = true;
  }

  send(seq: number, ts: number, marker: boolean, payload: Buffer): void {
    if (!this.ready) return;
    if (!this.extsBuilt) this.buildHeader();
    const dtls = this.transceiver.sender.dtlsTransport;
    const h = this.header;
    h.sequenceNumber = seq;
    h.timestamp = ts;
    h.marker = marker;
    const now = performance.now();
    if (this.astBuf) this.astBuf.writeUIntBE(absSendTime(now), 0, 3);
    this.packetCount++;
    this.octetCount += payload.length;
    this.lastTs = ts;
    this.lastSentMs = now;
    // SRTP encryption happens synchronously inside sendRtp, so the reused header is safe; werift catches
    // send failures itself (the returned promise never rejects).
    void dtls.sendRtp(payload, h);
  }

  renegotiated(): void {
    this.extsBuilt = false;
  }

  handleRtcp(packet: RtcpPacket): void {
    const fb = this.feedback;
    if (!fb) return;
    if (packet instanceof RtcpTransportLayerFeedback) {
      const nack = packet.feedback;
      if (nack instanceof GenericNack) {
        // header.length counts 32-bit words minus one: header word, two SSRCs, then the FCIs.
        const fci = packet.header ? packet.header.length - 2 : Number.MAX_SAFE_INTEGER;
        fb.onNack(trimNackList(nack.lost, fci, this.nackScratch));
      }
    } else if (packet instanceof RtcpPayloadSpecificFeedback) {
      const f = packet.feedback;
      if (f instanceof PictureLossIndication) fb.onKeyframeRequest();
      else if (f instanceof ReceiverEstimatedMaxBitrate) this.owner.handleRemb(Number(f.bitrate));
      else if (f.count === 4) fb.onKeyframeRequest();
    } else if (packet instanceof RtcpRrPacket || packet instanceof RtcpSrPacket) {
      for (const r of packet.reports) {
        if (r.ssrc === this.ssrc) fb.onReceiverReport(r.fractionLost / 256, r.jitter);
      }
    }
  }
}

export class WeriftSubscriberTransport extends WeriftBase implements SubscriberTransport {
  onBandwidthEstimate: ((bps: number) => void) | null = null;
  private readonly tracks = new Set<WeriftOutboundTrack>();
  /** Freed m-lines (and their SSRCs) with where their last stream stopped, for the next track. */
  private readonly spare: { transceiver: RTCRtpTransceiver; continuity: StreamContinuity | null }[] = [];
  private connected = false;

  constructor(opts: WeriftTransportOptions = {}) {
    super(baseConfig(opts, false));
    this.every(1000, () => this.sendReports());
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get signalingStable(): boolean {
    return this.pc.signalingState === 'stable';
  }

  protected override onStateChange(state: TransportConnectionState): void {
    this.connected = state === 'connected';
  }

  handleRemb(bps: number): void {
    this.onBandwidthEstimate?.(bps);
  }

  addTrack(kind: MediaKind, codec: CodecInfo, streamId: string, trackId: string): OutboundTrack {
    const spareIndex = this.spare.findIndex((t) => t.transceiver.kind === kind);
    let transceiver: RTCRtpTransceiver;
    let continuity: StreamContinuity | null = null;
    if (spareIndex >= 0) {
      const reused = this.spare.splice(spareIndex, 1)[0]!;
      transceiver = reused.transceiver;
      continuity = reused.continuity;
      transceiver.setDirection('sendonly');
    } else {
      transceiver = this.pc.addTransceiver(kind, { direction: 'sendonly' });
    }
    transceiver.sender.streamId = streamId;
    // a=msid carries "<participant> <track>" so a browser can tell a camera from a screen share on the
    // first negotiation of a transceiver; reused transceivers rely on the mid map signaling sends.
    (transceiver.sender as { trackId: string }).trackId = trackId;
    const t = new WeriftOutboundTrack(kind, streamId, transceiver, this, codec.clockRate);
    t.continuity = continuity;
    this.listen(transceiver.sender.onRtcp, (p: RtcpPacket) => {
      if (t.active) t.handleRtcp(p);
    });
    this.tracks.add(t);
    return t;
  }

  removeTrack(track: OutboundTrack): void {
    const t = track as WeriftOutboundTrack;
    if (!this.tracks.delete(t)) return;
    t.active = false;
    t.feedback = null;
    if (this.closed) return;
    t.transceiver.setDirection('inactive');
    this.spare.push({ transceiver: t.transceiver, continuity: t.continuity });
  }

  async offer(iceRestart: boolean): Promise<string> {
    const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
    await this.pc.setLocalDescription(offer);
    const local = this.pc.localDescription;
    if (!local) throw new Error('werift produced no local description');
    return local.sdp;
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    this.resumeRestartedIce();
    for (const t of this.tracks) t.renegotiated();
  }

  /** Sender reports (RFC 3550 6.4.1) for every stream that has sent: lip sync and RTT. */
  private sendReports(): void {
    if (!this.connected) return;
    const dtls = this.pc.dtlsTransports[0];
    if (!dtls) return;
    const packets: RtcpSrPacket[] = [];
    const now = performance.now();
    const ntp = ntpTime();
    for (const t of this.tracks) {
      if (t.packetCount === 0 || !t.active) continue;
      const rtpTs = (t.lastTs + Math.round(((now - t.lastSentMs) * t.clockRate) / 1000)) >>> 0;
      packets.push(
        new RtcpSrPacket({
          ssrc: t.ssrc,
          senderInfo: new RtcpSenderInfo({
            ntpTimestamp: ntp,
            rtpTimestamp: rtpTs,
            packetCount: t.packetCount >>> 0,
            octetCount: t.octetCount >>> 0,
          }),
        }),
      );
    }
    if (packets.length > 0) dtls.sendRtcp(packets).catch(() => undefined);
  }
}

export class WeriftTransportFactory implements TransportFactory {
  constructor(private readonly opts: WeriftTransportOptions = {}) {
    installIceGuard();
  }
  createPublisher(): WeriftPublisherTransport {
    return new WeriftPublisherTransport(this.opts);
  }
  createSubscriber(): WeriftSubscriberTransport {
    return new WeriftSubscriberTransport(this.opts);
  }
}
