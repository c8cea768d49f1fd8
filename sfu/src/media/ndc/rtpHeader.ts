// RTP header reading and writing for the ndc transport: libdatachannel hands over whole decrypted
// packets and sends whole packets, so the fixed header (RFC 3550 section 5.1) and the header
// extensions (RFC 8285) are ours to parse and build. Allocation-free on the hot path.

/** One parsed RTP header; a single instance is reused per connection. */
export class RtpView {
  ssrc = 0;
  seq = 0;
  ts = 0;
  marker = false;
  payloadType = 0;
  payloadOffset = 0;
  payloadEnd = 0;
  /** First byte of the extension elements, -1 without an extension block. */
  extOffset = -1;
  extEnd = 0;
  /** 0xBEDE (one-byte elements) or 0x100x (two-byte elements), RFC 8285 sections 4.2 and 4.3. */
  extProfile = 0;
}

/**
 * Parses the fixed header, CSRCs, extension block and padding. Returns false for anything that is
 * not a well-formed RTP version 2 packet; never reads past the buffer.
 */
export function parseRtp(b: Uint8Array, out: RtpView): boolean {
  const len = b.length;
  if (len < 12) return false;
  const b0 = b[0]!;
  if ((b0 & 0xc0) !== 0x80) return false;
  let off = 12 + (b0 & 0x0f) * 4;
  if (off > len) return false;
  const b1 = b[1]!;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.seq = (b[2]! << 8) | b[3]!;
  out.ts = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
  out.ssrc = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0;
  out.extOffset = -1;
  out.extEnd = 0;
  if (b0 & 0x10) {
    if (off + 4 > len) return false;
    out.extProfile = (b[off]! << 8) | b[off + 1]!;
    const words = (b[off + 2]! << 8) | b[off + 3]!;
    out.extOffset = off + 4;
    off += 4 + words * 4;
    if (off > len) return false;
    out.extEnd = off;
  }
  let end = len;
  if (b0 & 0x20) {
    const pad = b[len - 1]!;
    if (pad === 0 || off + pad > len) return false;
    end -= pad;
  }
  out.payloadOffset = off;
  out.payloadEnd = end;
  return true;
}

/** Where a found extension element's data lies; reused by the caller. */
export interface ExtSpan {
  start: number;
  end: number;
}

/**
 * Finds header extension element `id` (RFC 8285 section 4.2 one-byte, 4.3 two-byte form).
 * Returns false when the packet has no such element or the block is malformed.
 */
export function findExtension(b: Uint8Array, v: RtpView, id: number, out: ExtSpan): boolean {
  if (v.extOffset < 0 || id <= 0) return false;
  let i = v.extOffset;
  const end = v.extEnd;
  if (v.extProfile === 0xbede) {
    while (i < end) {
      const h = b[i]!;
      if (h === 0) {
        i++; // padding
        continue;
      }
      const eid = h >> 4;
      if (eid === 15) return false;
      const elen = (h & 0x0f) + 1;
      if (i + 1 + elen > end) return false;
      if (eid === id) {
        out.start = i + 1;
        out.end = i + 1 + elen;
        return true;
      }
      i += 1 + elen;
    }
    return false;
  }
  if ((v.extProfile & 0xfff0) === 0x1000) {
    while (i + 1 < end) {
      const eid = b[i]!;
      if (eid === 0) {
        i++;
        continue;
      }
      const elen = b[i + 1]!;
      if (i + 2 + elen > end) return false;
      if (eid === id) {
        out.start = i + 2;
        out.end = i + 2 + elen;
        return true;
      }
      i += 2 + elen;
    }
  }
  return false;
}

/** Reads an extension element as ASCII (MID and RID values, RFC 8843 / RFC 8852). */
export function extensionText(b: Uint8Array, span: ExtSpan): string {
  let s = '';
  for (let i = span.start; i < span.end; i++) {
    const c = b[i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** One-byte header extension elements an outbound stream carries, written once per negotiation. */
export interface OutboundExtensions {
  /** sdes:mid id (RFC 8843 section 15.2), 0 when not negotiated. */
  midId: number;
  mid: string;
  /** abs-send-time id, 0 when not negotiated. */
  absSendTimeId: number;
}

/**
 * Writes the fixed header and the extension block into `buf`; returns the header length and
 * sets `absSendTimeAt` (offset of the 3-byte abs-send-time value, -1 when absent) through `out`.
 */
export function writeRtpHeader(
  buf: Buffer,
  ssrc: number,
  payloadType: number,
  ext: OutboundExtensions,
  out: { absSendTimeAt: number },
): number {
  const mid = ext.midId > 0 && ext.mid.length > 0 && ext.mid.length <= 16 ? ext.mid : '';
  let body = 0;
  if (mid) body += 1 + mid.length;
  if (ext.absSendTimeId > 0) body += 4;
  const words = Math.ceil(body / 4);
  buf[0] = words > 0 ? 0x90 : 0x80;
  buf[1] = payloadType & 0x7f;
  buf.writeUInt32BE(ssrc >>> 0, 8);
  out.absSendTimeAt = -1;
  if (words === 0) return 12;
  buf[12] = 0xbe;
  buf[13] = 0xde;
  buf[14] = words >> 8;
  buf[15] = words & 0xff;
  let i = 16;
  if (mid) {
    buf[i++] = (ext.midId << 4) | (mid.length - 1);
    for (let k = 0; k < mid.length; k++) buf[i++] = mid.charCodeAt(k) & 0x7f;
  }
  if (ext.absSendTimeId > 0) {
    buf[i++] = (ext.absSendTimeId << 4) | 2;
    out.absSendTimeAt = i;
    i += 3;
  }
  const end = 16 + words * 4;
  while (i < end) buf[i++] = 0;
  return end;
}
