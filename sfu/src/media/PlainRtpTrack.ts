// An outbound track without DTLS/SRTP: plain RTP over UDP to one address, for a recorder on loopback or the
// pod network. It implements the same OutboundTrack the WebRTC transports do, so a Consumer drives it with
// the forwarding code every subscriber uses (layer choice, keyframe switch, munging).
import type { Socket } from 'node:dgram';
import type { CodecInfo, MediaKind, OutboundFeedback, OutboundTrack, StreamContinuity } from './transport.js';

/** RTP fixed header length (RFC 3550 5.1) without CSRCs or extensions. */
const RTP_HEADER = 12;

export interface PlainRtpTarget {
  host: string;
  port: number;
}

export class PlainRtpTrack implements OutboundTrack {
  readonly streamId: string;
  feedback: OutboundFeedback | null = null;
  continuity: StreamContinuity | null = null;
  private open = true;
  /** Datagrams handed to the socket and bytes of RTP payload. */
  packetsSent = 0;
  bytesSent = 0;

  constructor(
    readonly kind: MediaKind,
    readonly codec: CodecInfo,
    readonly ssrc: number,
    readonly payloadType: number,
    readonly target: PlainRtpTarget,
    private readonly socket: Socket,
    streamId: string,
  ) {
    this.streamId = streamId;
  }

  get ready(): boolean {
    return this.open;
  }

  /**
   * Builds the RTP header (RFC 3550 5.1: V=2, no padding, no extension, no CSRC) in front of a copy of the
   * payload. The copy is needed because dgram may send after this returns while the caller reuses its buffer.
   */
  send(seq: number, ts: number, marker: boolean, payload: Buffer): void {
    if (!this.open) return;
    const packet = Buffer.allocUnsafe(RTP_HEADER + payload.length);
    packet[0] = 0x80;
    packet[1] = (marker ? 0x80 : 0) | (this.payloadType & 0x7f);
    packet.writeUInt16BE(seq & 0xffff, 2);
    packet.writeUInt32BE(ts >>> 0, 4);
    packet.writeUInt32BE(this.ssrc >>> 0, 8);
    payload.copy(packet, RTP_HEADER);
    this.socket.send(packet, this.target.port, this.target.host);
    this.packetsSent++;
    this.bytesSent += payload.length;
  }

  close(): void {
    this.open = false;
    this.feedback = null;
  }
}
