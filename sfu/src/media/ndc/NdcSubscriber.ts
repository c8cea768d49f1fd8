// Subscriber side of the ndc transport: the SFU offers (subscriberSdp.ts), sends each forwarded
// track as its own SSRC over the one bundled connection, and routes the subscriber's RTCP (NACK,
// PLI, FIR, receiver reports, REMB) to the track it names.
import { InvalidStateError, SdpRejectedError } from '../errors.js';
import type { CodecInfo, MediaKind, OutboundTrack, SubscriberTransport } from '../transport.js';
import { NdcBase } from './base.js';
import type { ConnectionConfig } from './connection.js';
import { NdcOutboundTrack, type OutboundOwner } from './outbound.js';
import { isRtcp, ntpOf, parseRtcp, writeSr, type RtcpSink } from './rtcp.js';
import { parseSdp, transportOf } from './sdpModel.js';
import { buildSubscriberOffer, readSubscriberAnswer, type OfferedSection } from './subscriberSdp.js';

/** Payload types the SFU offers per codec; the publisher side accepts VP8 and Opus. */
const PAYLOAD_TYPES: Record<string, number> = {
  'video/vp8': 96,
  'audio/opus': 111,
  'video/h264': 102,
  'video/vp9': 98,
};

interface Slot {
  mid: string;
  kind: MediaKind;
  payloadType: number;
  rtpmap: string;
  fmtp: string | undefined;
  track: NdcOutboundTrack | null;
  streamId: string;
  trackId: string;
}

function rtpmapOf(codec: CodecInfo): string {
  const name = codec.mimeType.split('/')[1] ?? 'VP8';
  return `${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`;
}

export class NdcSubscriberTransport extends NdcBase implements SubscriberTransport, OutboundOwner {
  onBandwidthEstimate: ((bps: number) => void) | null = null;
  private readonly slots: Slot[] = [];
  private readonly bySsrc = new Map<number, NdcOutboundTrack>();
  private nextMid = 0;
  private offered: OfferedSection[] | null = null;
  private readonly sessionId = String(Math.floor(Math.random() * 2 ** 52));
  private readonly cname = `origo-${Math.random().toString(36).slice(2, 10)}`;
  private version = 0;
  private readonly sink: RtcpSink;
  private readonly srBuf = Buffer.alloc(28 * 31);

  constructor(cfg: ConnectionConfig) {
    super(cfg);
    this.holdsLocalCandidates = true;
    const bySsrc = this.bySsrc;
    this.sink = {
      onReportBlock: (ssrc, fraction, jitter) =>
        bySsrc.get(ssrc)?.feedback?.onReceiverReport(fraction, jitter),
      onNack: (ssrc, seqs) => bySsrc.get(ssrc)?.feedback?.onNack(seqs),
      onKeyframeRequest: (ssrc) => bySsrc.get(ssrc)?.feedback?.onKeyframeRequest(),
      onRemb: (bps) => this.onBandwidthEstimate?.(bps),
      onSenderReport: () => undefined,
    };
    this.every(1000, () => this.sendReports());
  }

  get canSend(): boolean {
    return this.isConnected;
  }

  get signalingStable(): boolean {
    return this.offered === null;
  }

  sendPacket(packet: Buffer): void {
    this.conn?.send(packet);
  }

  private newSsrc(): number {
    for (;;) {
      const s = (Math.random() * 0xfffffffe + 1) >>> 0;
      if (!this.bySsrc.has(s) && s !== this.rtcpSsrc) return s;
    }
  }

  addTrack(kind: MediaKind, codec: CodecInfo, streamId: string, trackId: string): OutboundTrack {
    if (this.closed) throw new InvalidStateError('transport closed');
    // A section whose track left is reused for the same kind: m-lines are never removed (RFC 8829
    // 5.2.2), so reuse keeps the SDP from growing with churn. The new SSRC and msid tell the
    // subscriber it is a new track.
    let slot = this.slots.find((s) => s.track === null && s.kind === kind);
    const pt = PAYLOAD_TYPES[codec.mimeType.toLowerCase()] ?? 100;
    if (!slot) {
      slot = {
        mid: String(this.nextMid++),
        kind,
        payloadType: pt,
        rtpmap: '',
        fmtp: undefined,
        track: null,
        streamId,
        trackId,
      };
      this.slots.push(slot);
    }
    slot.payloadType = pt;
    slot.rtpmap = rtpmapOf(codec);
    slot.fmtp = codec.parameters;
    slot.streamId = streamId;
    slot.trackId = trackId;
    const t = new NdcOutboundTrack(kind, streamId, this.newSsrc(), pt, codec.clockRate, slot.mid, this);
    slot.track = t;
    this.bySsrc.set(t.ssrc, t);
    return t;
  }

  removeTrack(track: OutboundTrack): void {
    const slot = this.slots.find((s) => s.track === track);
    if (!slot || !slot.track) return;
    const t = slot.track;
    t.active = false;
    t.feedback = null;
    this.bySsrc.delete(t.ssrc);
    slot.track = null;
  }

  offer(iceRestart: boolean): Promise<string> {
    if (this.closed) return Promise.reject(new InvalidStateError('transport closed'));
    if (this.offered !== null)
      return Promise.reject(new InvalidStateError('an offer is already outstanding'));
    let conn = this.conn;
    if (conn === null || iceRestart || conn.localParams === null) {
      // A new connection is a new ICE generation (new credentials, RFC 8839 4.4.1.1.1).
      conn = this.newConnection();
      try {
        conn.createOffer();
      } catch (error) {
        conn.close();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      this.install(conn);
    }
    const offered: OfferedSection[] = this.slots.map((s) => ({
      mid: s.mid,
      kind: s.kind,
      payloadType: s.payloadType,
      rtpmap: s.rtpmap,
      fmtp: s.fmtp,
      ssrc: s.track?.ssrc ?? 0,
      streamId: s.streamId,
      trackId: s.trackId,
    }));
    this.bundleMid = offered[0]?.mid ?? '0';
    this.offered = offered;
    // A connection's first offer carries no candidates: they follow the answer (releaseLocalCandidates).
    const params = conn.hasRemote ? conn.localParams! : { ...conn.localParams!, candidates: [] };
    return Promise.resolve(buildSubscriberOffer(offered, params, this.sessionId, ++this.version, this.cname));
  }

  setAnswer(sdp: string): Promise<void> {
    const offered = this.offered;
    if (offered === null) return Promise.reject(new InvalidStateError('no offer outstanding'));
    // Whatever happens, the offer is settled: a rejected answer leaves us stable for the next one.
    this.offered = null;
    try {
      const answer = parseSdp(sdp);
      const sections = readSubscriberAnswer(answer, offered);
      if (sections === null) throw new SdpRejectedError('answer does not match the offered media sections');
      const conn = this.conn;
      if (conn !== null && !conn.hasRemote) {
        conn.acceptAnswer(transportOf(answer));
        this.flushPending();
        this.releaseLocalCandidates();
      }
      sections.forEach((a, i) => {
        const o = offered[i]!;
        const t = o.ssrc !== 0 ? this.bySsrc.get(o.ssrc) : undefined;
        if (!t) return;
        if (a.accepted) t.negotiate(a.midExtId, a.absSendTimeExtId);
        else t.negotiated = false;
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  }

  protected onMedia(buf: Buffer): void {
    if (isRtcp(buf)) parseRtcp(buf, this.sink);
  }

  /** Sender reports (RFC 3550 6.4.1) for every stream that has sent: lip sync and RTT. */
  private sendReports(): void {
    if (!this.isConnected) return;
    const now = performance.now();
    const { sec, frac } = ntpOf(performance.timeOrigin + now);
    let off = 0;
    for (const t of this.bySsrc.values()) {
      if (t.packetCount === 0 || !t.active || off + 28 > this.srBuf.length) continue;
      const rtpTs = (t.lastTs + Math.round(((now - t.lastSentMs) * t.clockRate) / 1000)) >>> 0;
      off = writeSr(this.srBuf, off, t.ssrc, sec, frac, rtpTs, t.packetCount, t.octetCount);
    }
    if (off > 0) this.conn?.send(this.srBuf.subarray(0, off));
  }

  override close(): void {
    if (this.closed) return;
    for (const t of this.bySsrc.values()) {
      t.active = false;
      t.feedback = null;
    }
    this.bySsrc.clear();
    this.onBandwidthEstimate = null;
    super.close();
  }
}
