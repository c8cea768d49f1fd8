// One received RTP stream of a publisher (a simulcast layer or a plain track): delivery to the
// Producer and the receive statistics behind our receiver reports (RFC 3550 section 6.4.1 and
// appendix A.1, A.3, A.8).
import { parseAudioLevel, seqDiff } from '../rtp.js';
import type { CodecInfo, InboundPacket, InboundTrack, MediaKind } from '../transport.js';
import type { ReportBlock } from './rtcp.js';

/** Lost packets asked for again at most this often, this many times, for this long (RFC 4585 6.2.1). */
const NACK_INTERVAL_MS = 20;
const NACK_TRIES = 3;
const NACK_GIVE_UP_MS = 1000;
const NACK_MAX_MISSING = 256;
/** A jump larger than this is a restart of the stream, not loss. */
const MAX_GAP = 100;
import { findExtension, type ExtSpan, type RtpView } from './rtpHeader.js';

export class NdcInboundTrack implements InboundTrack {
  onPacket: ((packet: InboundPacket) => void) | null = null;
  /** Learned from packets: rid-only simulcast streams have no SSRC in the SDP. */
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
  private readonly span: ExtSpan = { start: 0, end: 0 };
  // Receive statistics.
  private started = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitter = 0;
  private lastTransit = 0;
  private lastSr = 0;
  private lastSrAtMs = 0;
  /** Missing sequence number -> [first noticed, last asked, times asked]; video only. */
  private readonly missing = new Map<number, [number, number, number]>();

  constructor(
    readonly mid: string,
    readonly kind: MediaKind,
    readonly rid: string | undefined,
    readonly codec: CodecInfo,
    readonly payloadType: number,
    private readonly audioLevelId: number,
    private readonly pli: (ssrc: number) => void,
  ) {}

  /** Hot path: one call per packet; the payload is a view into the packet buffer. */
  deliver(buf: Buffer, v: RtpView, nowMs: number): void {
    const p = this.pkt;
    p.ssrc = v.ssrc;
    p.seq = v.seq;
    p.ts = v.ts;
    p.marker = v.marker;
    p.payloadType = v.payloadType;
    p.payload = buf.subarray(v.payloadOffset, v.payloadEnd);
    p.audioLevel =
      this.audioLevelId > 0 && findExtension(buf, v, this.audioLevelId, this.span)
        ? parseAudioLevel(buf.subarray(this.span.start, this.span.end))
        : -1;
    this.ssrc = v.ssrc;
    this.count(v.seq, v.ts, nowMs);
    this.onPacket?.(p);
  }

  private count(seq: number, ts: number, nowMs: number): void {
    if (!this.started) {
      this.started = true;
      this.baseSeq = seq;
      this.maxSeq = seq;
    } else {
      const d = seqDiff(seq, this.maxSeq);
      if (d > 0) {
        if (this.kind === 'video' && d > 1 && d <= MAX_GAP) {
          for (let i = 1; i < d && this.missing.size < NACK_MAX_MISSING; i++) {
            this.missing.set((this.maxSeq + i) & 0xffff, [nowMs, 0, 0]);
          }
        }
        if (seq < this.maxSeq) this.cycles += 0x10000;
        this.maxSeq = seq;
      } else if (this.missing.size > 0) {
        this.missing.delete(seq);
      }
    }
    this.received++;
    // Interarrival jitter in timestamp units (RFC 3550 A.8).
    const transit = (nowMs * this.codec.clockRate) / 1000 - ts;
    if (this.received > 1) {
      let d = transit - this.lastTransit;
      if (d < 0) d = -d;
      // A timestamp wrap shows up as a jump of ~2^32: not jitter.
      if (d < 0x7fffffff) this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  /** Sequence numbers to NACK now; each is asked for at most NACK_TRIES times, then forgotten. */
  dueNacks(nowMs: number, out: number[]): number[] {
    out.length = 0;
    for (const [seq, entry] of this.missing) {
      if (nowMs - entry[0] > NACK_GIVE_UP_MS || entry[2] >= NACK_TRIES) {
        this.missing.delete(seq);
        continue;
      }
      if (nowMs - entry[1] < NACK_INTERVAL_MS) continue;
      entry[1] = nowMs;
      entry[2]++;
      out.push(seq);
    }
    return out;
  }

  get hasMissing(): boolean {
    return this.missing.size > 0;
  }

  onSenderReport(ntpMiddle: number, nowMs: number): void {
    this.lastSr = ntpMiddle;
    this.lastSrAtMs = nowMs;
  }

  /** The report block for this stream (RFC 3550 A.3), or null before the first packet. */
  reportBlock(nowMs: number): ReportBlock | null {
    if (!this.started) return null;
    const extended = this.cycles + this.maxSeq;
    const expected = extended - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fraction),
      cumulativeLost: expected - this.received,
      extendedHighestSeq: extended >>> 0,
      jitter: this.jitter,
      lastSr: this.lastSr,
      delaySinceLastSr: this.lastSrAtMs > 0 ? Math.floor(((nowMs - this.lastSrAtMs) * 65536) / 1000) : 0,
    };
  }

  requestKeyframe(): void {
    if (this.ssrc !== 0) this.pli(this.ssrc);
  }
}
