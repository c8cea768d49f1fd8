// RTCP packets the ndc transport builds and reads itself (libdatachannel passes them through as
// bytes): SR and RR (RFC 3550 6.4), generic NACK (RFC 4585 6.2.1), PLI (RFC 4585 6.3.1),
// FIR (RFC 5104 4.3.1) and REMB (draft-alvestrand-rmcat-remb 2.2).
import { rembExpMantissa } from '../rtp.js';

/** RFC 5761 section 4: RTCP packet types 192-223 share the second byte with RTP marker + PT. */
export function isRtcp(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const pt = b[1]!;
  return pt >= 192 && pt <= 223;
}

function header(buf: Buffer, off: number, count: number, type: number, words: number): void {
  buf[off] = 0x80 | (count & 0x1f);
  buf[off + 1] = type;
  buf.writeUInt16BE(words, off + 2);
}

/** Picture Loss Indication for one media SSRC. */
export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  header(b, 0, 1, 206, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}

/** Generic NACK for lost sequence numbers of one media SSRC, packed into PID + bitmask FCIs. */
export function buildNack(senderSsrc: number, mediaSsrc: number, seqs: readonly number[]): Buffer {
  const fcis: number[] = [];
  let pid = -1;
  let blp = 0;
  for (const s of seqs) {
    const d = pid < 0 ? -1 : (s - pid) & 0xffff;
    if (d >= 1 && d <= 16) {
      blp |= 1 << (d - 1);
      continue;
    }
    if (pid >= 0) fcis.push((pid << 16) | blp);
    pid = s & 0xffff;
    blp = 0;
  }
  if (pid >= 0) fcis.push((pid << 16) | blp);
  const b = Buffer.alloc(12 + 4 * fcis.length);
  header(b, 0, 1, 205, 2 + fcis.length);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  fcis.forEach((f, i) => b.writeUInt32BE(f >>> 0, 12 + 4 * i));
  return b;
}

/** REMB covering `ssrcs`; the mantissa/exponent split is shared with the werift transport. */
export function buildRemb(senderSsrc: number, bps: number, ssrcs: readonly number[]): Buffer {
  const n = Math.min(ssrcs.length, 255);
  const b = Buffer.alloc(20 + 4 * n);
  header(b, 0, 15, 206, 4 + n);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(0, 8);
  b.write('REMB', 12, 'ascii');
  const { exp, mantissa } = rembExpMantissa(bps);
  b[16] = n;
  b[17] = ((exp & 0x3f) << 2) | ((mantissa >> 16) & 0x03);
  b.writeUInt16BE(mantissa & 0xffff, 18);
  for (let i = 0; i < n; i++) b.writeUInt32BE(ssrcs[i]! >>> 0, 20 + 4 * i);
  return b;
}

/** One report block of an RR (RFC 3550 6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the last report, 0..255. */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed, clamped). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  /** Middle 32 bits of the last SR's NTP time, 0 without an SR. */
  lastSr: number;
  /** Delay since that SR in 1/65536 s. */
  delaySinceLastSr: number;
}

export function buildRr(senderSsrc: number, blocks: readonly ReportBlock[]): Buffer {
  const n = Math.min(blocks.length, 31);
  const b = Buffer.alloc(8 + 24 * n);
  header(b, 0, n, 201, 1 + 6 * n);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  for (let i = 0; i < n; i++) {
    const r = blocks[i]!;
    const o = 8 + 24 * i;
    b.writeUInt32BE(r.ssrc >>> 0, o);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)) & 0xffffff;
    // `<< 24` of a fraction of 128 or more (half the packets lost, as in an outage) sets the sign bit of
    // JavaScript's int32: `>>> 0` makes the word unsigned again, or writeUInt32BE throws.
    b.writeUInt32BE((((r.fractionLost & 0xff) << 24) | lost) >>> 0, o + 4);
    b.writeUInt32BE(r.extendedHighestSeq >>> 0, o + 8);
    b.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.floor(r.jitter))) >>> 0, o + 12);
    b.writeUInt32BE(r.lastSr >>> 0, o + 16);
    b.writeUInt32BE(r.delaySinceLastSr >>> 0, o + 20);
  }
  return b;
}

/** Sender report without report blocks (RFC 3550 6.4.1): lip sync and RTT for the subscriber. */
export function writeSr(
  buf: Buffer,
  off: number,
  ssrc: number,
  ntpSec: number,
  ntpFrac: number,
  rtpTs: number,
  packets: number,
  octets: number,
): number {
  header(buf, off, 0, 200, 6);
  buf.writeUInt32BE(ssrc >>> 0, off + 4);
  buf.writeUInt32BE(ntpSec >>> 0, off + 8);
  buf.writeUInt32BE(ntpFrac >>> 0, off + 12);
  buf.writeUInt32BE(rtpTs >>> 0, off + 16);
  buf.writeUInt32BE(packets >>> 0, off + 20);
  buf.writeUInt32BE(octets >>> 0, off + 24);
  return off + 28;
}

/** NTP time (RFC 5905 section 6) of a wall-clock millisecond count, as seconds and fraction. */
export function ntpOf(ms: number): { sec: number; frac: number } {
  const secs = ms / 1000 + 2208988800;
  const sec = Math.floor(secs);
  return { sec: sec >>> 0, frac: Math.floor((secs - sec) * 4294967296) >>> 0 };
}

/** What a compound RTCP packet says, delivered packet by packet. */
export interface RtcpSink {
  onReportBlock(ssrc: number, fractionLost: number, jitter: number): void;
  onNack(mediaSsrc: number, seqs: number[]): void;
  onKeyframeRequest(mediaSsrc: number): void;
  onRemb(bps: number, ssrcs: number[]): void;
  /** A sender report from the remote sender: its NTP time's middle 32 bits. */
  onSenderReport(ssrc: number, ntpMiddle: number): void;
}

/**
 * Walks a compound RTCP packet (RFC 3550 6.1). Stops at the first malformed sub-packet; what came
 * before it is still delivered. Types the SFU does not use (SDES, BYE, APP, XR, TWCC) are skipped.
 */
export function parseRtcp(b: Buffer, sink: RtcpSink): void {
  let off = 0;
  const len = b.length;
  while (off + 4 <= len) {
    const b0 = b[off]!;
    if ((b0 & 0xc0) !== 0x80) return;
    const count = b0 & 0x1f;
    const type = b[off + 1]!;
    const size = (b.readUInt16BE(off + 2) + 1) * 4;
    if (off + size > len) return;
    const end = off + size;
    if ((type === 200 || type === 201) && size >= 8) {
      let p = off + 8;
      if (type === 200) {
        if (size < 28) return;
        sink.onSenderReport(b.readUInt32BE(off + 4), b.readUInt32BE(off + 10));
        p = off + 28;
      }
      for (let i = 0; i < count && p + 24 <= end; i++, p += 24) {
        sink.onReportBlock(b.readUInt32BE(p), b[p + 4]! / 256, b.readUInt32BE(p + 12));
      }
    } else if (type === 205 && count === 1 && size >= 12) {
      const media = b.readUInt32BE(off + 8);
      const seqs: number[] = [];
      for (let p = off + 12; p + 4 <= end; p += 4) {
        const pid = b.readUInt16BE(p);
        const blp = b.readUInt16BE(p + 2);
        seqs.push(pid);
        for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) seqs.push((pid + bit + 1) & 0xffff);
      }
      if (seqs.length > 0) sink.onNack(media, seqs);
    } else if (type === 206 && size >= 12) {
      const media = b.readUInt32BE(off + 8);
      if (count === 1) sink.onKeyframeRequest(media);
      else if (count === 4) {
        // FIR: the media SSRC field is unused; each FCI names the SSRC (RFC 5104 4.3.1.1).
        for (let p = off + 12; p + 8 <= end; p += 8) sink.onKeyframeRequest(b.readUInt32BE(p));
      } else if (count === 15 && size >= 20 && b.toString('ascii', off + 12, off + 16) === 'REMB') {
        const n = b[off + 16]!;
        const exp = b[off + 17]! >> 2;
        const mantissa = ((b[off + 17]! & 0x03) << 16) | b.readUInt16BE(off + 18);
        const ssrcs: number[] = [];
        for (let i = 0, p = off + 20; i < n && p + 4 <= end; i++, p += 4) ssrcs.push(b.readUInt32BE(p));
        sink.onRemb(mantissa * 2 ** exp, ssrcs);
      }
    }
    off = end;
  }
}
