// Publisher side of the ndc transport: the client offers, the SFU answers (publisherSdp.ts), and
// every packet of the bundle arrives here to be demultiplexed by SSRC, learning new SSRCs from the
// MID and RID header extensions (RFC 8843 section 9.2, RFC 8852 section 3.3) or the declared a=ssrc.
import type { CodecInfo, InboundTrack, PublisherTransport } from '../transport.js';
import { NdcBase } from './base.js';
import type { ConnectionConfig } from './connection.js';
import { NdcInboundTrack } from './inbound.js';
import { buildPublisherAnswer, type PublishedSection } from './publisherSdp.js';
import {
  buildNack,
  buildPli,
  buildRemb,
  buildRr,
  isRtcp,
  parseRtcp,
  type ReportBlock,
  type RtcpSink,
} from './rtcp.js';
import { extensionText, findExtension, parseRtp, RtpView, type ExtSpan } from './rtpHeader.js';
import { parseSdp, transportOf } from './sdpModel.js';

/** Unknown SSRCs bound at most: garbage with random SSRCs must not grow the map. */
const MAX_STREAMS = 64;

export interface PublisherOptions {
  startBitrateKbps: number;
  publisherBitrateBps: number;
}

function codecOf(s: PublishedSection): CodecInfo {
  const info: CodecInfo = {
    mimeType: s.kind === 'video' ? 'video/VP8' : 'audio/opus',
    clockRate: s.clockRate,
  };
  if (s.channels !== undefined) info.channels = s.channels;
  if (s.fmtp !== undefined && s.kind === 'audio') info.parameters = s.fmtp;
  return info;
}

export class NdcPublisherTransport extends NdcBase implements PublisherTransport {
  onTrack: ((track: InboundTrack) => void) | null = null;
  private sections = new Map<string, PublishedSection>();
  private readonly tracks = new Map<string, NdcInboundTrack>();
  private readonly bySsrc = new Map<number, NdcInboundTrack>();
  private readonly view = new RtpView();
  private readonly span: ExtSpan = { start: 0, end: 0 };
  private readonly sessionId = String(Math.floor(Math.random() * 2 ** 52));
  private version = 0;
  private bitrateBps: number;
  private readonly startKbps: number;
  private readonly sink: RtcpSink;
  private readonly nackScratch: number[] = [];

  constructor(cfg: ConnectionConfig, opts: PublisherOptions) {
    super(cfg);
    this.bitrateBps = opts.publisherBitrateBps;
    this.startKbps = opts.startBitrateKbps;
    const tracks = this.bySsrc;
    this.sink = {
      onReportBlock: () => undefined,
      onNack: () => undefined,
      onKeyframeRequest: () => undefined,
      onRemb: () => undefined,
      onSenderReport: (ssrc, ntpMiddle) => tracks.get(ssrc)?.onSenderReport(ntpMiddle, performance.now()),
    };
    this.every(1000, () => this.sendReports());
    this.every(20, () => this.sendNacks());
  }

  /** Asks the publisher again for packets lost on the way in (RFC 4585 6.2.1), video only. */
  private sendNacks(): void {
    if (!this.isConnected) return;
    const now = performance.now();
    for (const t of this.tracks.values()) {
      if (!t.hasMissing) continue;
      const seqs = t.dueNacks(now, this.nackScratch);
      if (seqs.length > 0) this.conn?.send(buildNack(this.rtcpSsrc, t.ssrc, seqs));
    }
  }

  answer(offerSdp: string): Promise<string> {
    try {
      return Promise.resolve(this.applyOffer(offerSdp));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private applyOffer(offerSdp: string): string {
    const offer = parseSdp(offerSdp);
    const remote = transportOf(offer);
    const conn = this.conn;
    let local = conn?.localParams ?? null;
    if (
      conn === null ||
      local === null ||
      conn.remoteUfrag !== remote.ufrag ||
      conn.remotePwd !== remote.pwd
    ) {
      // First offer or an ICE restart (new credentials, RFC 8839 section 4.4.1.1.1): a fresh
      // connection carries the new ICE generation; the inbound streams stay as they are.
      const next = this.newConnection();
      try {
        local = next.acceptOffer(remote);
      } catch (error) {
        next.close();
        throw error;
      }
      this.install(next);
      this.flushPending();
    }
    const { sdp, sections } = buildPublisherAnswer(
      offer,
      local,
      this.sessionId,
      ++this.version,
      this.startKbps,
    );
    const next = new Map<string, PublishedSection>();
    for (const s of sections) next.set(s.mid, s);
    // Streams of a section that stopped sending (or changed its codec) are forgotten, so sending
    // again announces new tracks and the Peer makes a new producer.
    for (const [key, t] of this.tracks) {
      const s = next.get(t.mid);
      if (!s || !s.sending || s.payloadType !== t.payloadType) {
        this.tracks.delete(key);
        if (this.bySsrc.get(t.ssrc) === t) this.bySsrc.delete(t.ssrc);
        t.onPacket = null;
      }
    }
    this.sections = next;
    this.bundleMid = sections[0]?.mid ?? '0';
    // Announced when the answer is made, as werift does: producers exist before media flows, and
    // the first packets of each stream only bind its SSRC.
    for (const s of sections) {
      if (!s.sending) continue;
      for (const rid of s.rids.length > 0 ? s.rids : [undefined]) this.ensureTrack(s, rid);
    }
    return sdp;
  }

  activeMids(): Set<string> {
    const mids = new Set<string>();
    for (const s of this.sections.values()) if (s.sending) mids.add(s.mid);
    return mids;
  }

  setPublisherBitrate(bps: number): void {
    this.bitrateBps = bps;
    this.sendReports();
  }

  /** The new connection is chosen when the client's offer with new credentials arrives. */
  restartIce(): void {}

  protected onMedia(buf: Buffer, nowMs: number): void {
    if (isRtcp(buf)) {
      parseRtcp(buf, this.sink);
      return;
    }
    const v = this.view;
    if (!parseRtp(buf, v)) return;
    let t = this.bySsrc.get(v.ssrc);
    if (t === undefined) {
      t = this.bind(buf, v);
      if (t === undefined) return;
    }
    // Only the negotiated codec is forwarded (RTX, RED and FEC are not accepted in the answer).
    if (v.payloadType !== t.payloadType) return;
    t.deliver(buf, v, nowMs);
  }

  /** Finds the section and layer of a new SSRC; undefined when the packet cannot tell yet. */
  private bind(buf: Buffer, v: RtpView): NdcInboundTrack | undefined {
    if (this.bySsrc.size >= MAX_STREAMS) return undefined;
    let section: PublishedSection | undefined;
    for (const s of this.sections.values()) {
      if (s.midExtId > 0 && findExtension(buf, v, s.midExtId, this.span)) {
        section = this.sections.get(extensionText(buf, this.span));
        break;
      }
    }
    if (section === undefined) {
      for (const s of this.sections.values()) if (s.ssrcs.includes(v.ssrc)) section = s;
    }
    if (section === undefined) {
      // No MID and no declared SSRC: only an unambiguous payload type can tell (RFC 8843 9.2 fallback).
      const byPt = [...this.sections.values()].filter((s) => s.sending && s.payloadType === v.payloadType);
      if (byPt.length === 1 && byPt[0]!.ssrcs.length === 0 && byPt[0]!.rids.length === 0) section = byPt[0];
    }
    if (section === undefined || !section.sending || v.payloadType !== section.payloadType) return undefined;
    let rid: string | undefined;
    if (section.rids.length > 0) {
      if (!findExtension(buf, v, section.ridExtId, this.span)) return undefined;
      rid = extensionText(buf, this.span);
      if (!section.rids.includes(rid)) return undefined;
    }
    const t = this.tracks.get(`${section.mid} ${rid ?? ''}`);
    if (t === undefined) return undefined;
    // A stream seen again under a new SSRC (the sender restarted it) is rebound.
    if (this.bySsrc.get(t.ssrc) === t) this.bySsrc.delete(t.ssrc);
    this.bySsrc.set(v.ssrc, t);
    return t;
  }

  private ensureTrack(section: PublishedSection, rid: string | undefined): void {
    const key = `${section.mid} ${rid ?? ''}`;
    if (this.tracks.has(key)) return;
    const t = new NdcInboundTrack(
      section.mid,
      section.kind,
      rid,
      codecOf(section),
      section.payloadType,
      section.audioLevelExtId,
      (ssrc) => this.sendRtcp(buildPli(this.rtcpSsrc, ssrc)),
    );
    this.tracks.set(key, t);
    this.onTrack?.(t);
  }

  private sendRtcp(packet: Buffer): void {
    if (this.isConnected) this.conn?.send(packet);
  }

  /** Receiver reports for every stream and REMB for the video ones (draft-alvestrand-rmcat-remb). */
  private sendReports(): void {
    if (!this.isConnected) return;
    const now = performance.now();
    const blocks: ReportBlock[] = [];
    const video: number[] = [];
    for (const t of this.tracks.values()) {
      const b = t.reportBlock(now);
      if (b) blocks.push(b);
      if (t.kind === 'video' && t.ssrc !== 0) video.push(t.ssrc);
    }
    if (blocks.length === 0) return;
    const parts = [buildRr(this.rtcpSsrc, blocks)];
    if (video.length > 0) parts.push(buildRemb(this.rtcpSsrc, this.bitrateBps, video));
    this.conn?.send(Buffer.concat(parts));
  }

  override close(): void {
    if (this.closed) return;
    for (const t of this.tracks.values()) t.onPacket = null;
    this.tracks.clear();
    this.bySsrc.clear();
    this.onTrack = null;
    super.close();
  }
}
