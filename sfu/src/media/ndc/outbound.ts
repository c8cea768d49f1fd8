// One RTP stream the SFU sends to a subscriber: writes the header (our SSRC, payload type and
// header extensions, RFC 3550 5.1 / RFC 8285) in front of the forwarded payload in a buffer of its
// own and hands the whole packet to libdatachannel, which protects and sends it synchronously.
import { absSendTime } from '../rtp.js';
import type { MediaKind, OutboundFeedback, OutboundTrack, StreamContinuity } from '../transport.js';
import { writeRtpHeader, type OutboundExtensions } from './rtpHeader.js';

/** The transport side an outbound track sends through. */
export interface OutboundOwner {
  readonly canSend: boolean;
  sendPacket(packet: Buffer): void;
}

const MAX_PACKET = 1500;

export class NdcOutboundTrack implements OutboundTrack {
  feedback: OutboundFeedback | null = null;
  /** Always null: a reused section gets a new SSRC here, so a new stream starts instead of continuing. */
  continuity: StreamContinuity | null = null;
  active = true;
  /** Set when an answer accepted this track's section with its current SSRC. */
  negotiated = false;
  packetCount = 0;
  octetCount = 0;
  lastTs = 0;
  lastSentMs = 0;
  private buf = Buffer.alloc(MAX_PACKET);
  private headerLength = 0;
  private readonly ext: OutboundExtensions;
  private readonly ast = { absSendTimeAt: -1 };

  constructor(
    readonly kind: MediaKind,
    readonly streamId: string,
    readonly ssrc: number,
    readonly payloadType: number,
    readonly clockRate: number,
    readonly mid: string,
    private readonly owner: OutboundOwner,
  ) {
    this.ext = { midId: 0, mid, absSendTimeId: 0 };
  }

  get ready(): boolean {
    return this.active && this.negotiated && this.owner.canSend;
  }

  /** Applies the extension ids the subscriber's answer kept. */
  negotiate(midExtId: number, absSendTimeExtId: number): void {
    this.ext.midId = midExtId;
    this.ext.absSendTimeId = this.kind === 'video' ? absSendTimeExtId : 0;
    this.headerLength = 0;
    this.negotiated = true;
  }

  send(seq: number, ts: number, marker: boolean, payload: Buffer): void {
    if (!this.ready) return;
    let buf = this.buf;
    if (this.headerLength === 0)
      this.headerLength = writeRtpHeader(buf, this.ssrc, this.payloadType, this.ext, this.ast);
    const h = this.headerLength;
    const size = h + payload.length;
    if (size > buf.length) {
      // A payload larger than an MTU came in (the publisher's MTU is not ours to choose): grow once.
      const bigger = Buffer.alloc(size);
      buf.copy(bigger, 0, 0, h);
      this.buf = buf = bigger;
    }
    buf[1] = (marker ? 0x80 : 0) | this.payloadType;
    buf[2] = (seq >> 8) & 0xff;
    buf[3] = seq & 0xff;
    buf.writeUInt32BE(ts >>> 0, 4);
    const now = performance.now();
    const at = this.ast.absSendTimeAt;
    if (at > 0) {
      const v = absSendTime(performance.timeOrigin + now);
      buf[at] = (v >> 16) & 0xff;
      buf[at + 1] = (v >> 8) & 0xff;
      buf[at + 2] = v & 0xff;
    }
    payload.copy(buf, h);
    this.owner.sendPacket(buf.subarray(0, size));
    this.packetCount++;
    this.octetCount += payload.length;
    this.lastTs = ts;
    this.lastSentMs = now;
  }
}
