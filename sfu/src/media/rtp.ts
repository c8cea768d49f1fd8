// Pure RTP helpers: wrap-around arithmetic, VP8 keyframe parsing, RFC 6464 audio level.
// No werift imports: these run on the hot path and are unit-tested alone.

/** (a + b) mod 2^16. */
export function seqAdd(a: number, b: number): number {
  return (a + b) & 0xffff;
}

/** Signed distance a - b on the 16-bit circle, in [-32768, 32767] (RFC 3550 A.1 style). */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}

/** (a + b) mod 2^32. */
export function tsAdd(a: number, b: number): number {
  return (a + b) >>> 0;
}

/** Signed distance a - b on the 32-bit circle. */
export function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Result of parsing a VP8 RTP payload; one instance is reused per stream. */
export class Vp8Info {
  /** First packet of a keyframe (start of partition 0, P bit clear). */
  keyframe = false;
  /** Frame size from the keyframe header; 0 when not a keyframe start. */
  width = 0;
  height = 0;
  /** 7 or 15 bit picture id, -1 when absent. */
  pictureId = -1;
  /** Byte offset of the picture id in the payload, -1 when absent. */
  pictureIdOffset = -1;
  /** The picture id is the 15-bit form (M bit set). */
  pictureIdLong = false;
  /** TL0PICIDX, -1 when absent. */
  tl0PicIdx = -1;
  /** Byte offset of TL0PICIDX, -1 when absent. */
  tl0Offset = -1;
  /** Offset of the VP8 payload header (after the descriptor). */
  headerOffset = 0;
}

/**
 * Parses the VP8 payload descriptor (RFC 7741 section 4.2) and, at the start of partition 0,
 * the payload header (section 4.3) and keyframe header (RFC 6386 section 9.1).
 * Returns false for a payload too short to be valid; never reads past the buffer.
 */
export function parseVp8(p: Uint8Array, out: Vp8Info): boolean {
  out.keyframe = false;
  out.width = 0;
  out.height = 0;
  out.pictureId = -1;
  out.pictureIdOffset = -1;
  out.pictureIdLong = false;
  out.tl0PicIdx = -1;
  out.tl0Offset = -1;
  const len = p.length;
  if (len < 1) return false;
  const b0 = p[0]!;
  let i = 1;
  if (b0 & 0x80) {
    if (len < 2) return false;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) {
      if (i >= len) return false;
      const m = p[i]!;
      out.pictureIdOffset = i;
      if (m & 0x80) {
        if (i + 1 >= len) return false;
        out.pictureId = ((m & 0x7f) << 8) | p[i + 1]!;
        out.pictureIdLong = true;
        i += 2;
      } else {
        out.pictureId = m & 0x7f;
        i += 1;
      }
    }
    if (x & 0x40) {
      if (i >= len) return false;
      out.tl0Offset = i;
      out.tl0PicIdx = p[i]!;
      i += 1;
    }
    if (x & 0x30) i += 1; // TID/Y/KEYIDX
  }
  if (i >= len) return false;
  out.headerOffset = i;
  const start = (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  if (start && (p[i]! & 0x01) === 0) {
    out.keyframe = true;
    // Keyframe: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
    if (i + 10 <= len && p[i + 3] === 0x9d && p[i + 4] === 0x01 && p[i + 5] === 0x2a) {
      out.width = (p[i + 6]! | (p[i + 7]! << 8)) & 0x3fff;
      out.height = (p[i + 8]! | (p[i + 9]! << 8)) & 0x3fff;
    }
  }
  return true;
}

/**
 * H.264 (RFC 6184): true when the payload starts an IDR picture or carries SPS
 * (single NAL, STAP-A aggregate, or the first FU-A fragment).
 */
export function isH264Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const type = p[0]! & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 24) {
    let i = 1;
    while (i + 2 < p.length) {
      const size = (p[i]! << 8) | p[i + 1]!;
      const nal = p[i + 2]! & 0x1f;
      if (nal === 5 || nal === 7) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === 28 && p.length >= 2) {
    const fu = p[1]!;
    return (fu & 0x80) !== 0 && (fu & 0x1f) === 5;
  }
  return false;
}

/**
 * RFC 6464 section 3: one-byte element, V flag in the top bit, level in -dBov (0 loudest,
 * 127 silence) in the low 7 bits. Returns -1 for an empty element.
 */
export function parseAudioLevel(ext: Uint8Array): number {
  if (ext.length < 1) return -1;
  return ext[0]! & 0x7f;
}

/** abs-send-time: 6.18 fixed-point seconds, 24 bits (webrtc.org rtp-hdrext/abs-send-time). */
export function absSendTime(nowMs: number): number {
  return Math.floor((nowMs * 262.144) % 16777216);
}

/** REMB bitrate as 6-bit exponent and 18-bit mantissa (draft-alvestrand-rmcat-remb 2.2). */
export function rembExpMantissa(bps: number): { exp: number; mantissa: number } {
  let mantissa = Math.max(0, Math.floor(bps));
  let exp = 0;
  while (mantissa >= 0x40000) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return { exp, mantissa };
}

/**
 * Generic NACK FCIs (RFC 4585 6.2.1) as werift flattens them: each PID followed by the PIDs its
 * bitmask marks, unwrapped. werift parses past the end of a NACK inside a compound RTCP packet
 * (into the next packet), so keep only the first `fciCount` FCIs and wrap to 16 bits.
 */
export function trimNackList(lost: readonly number[], fciCount: number, out: number[]): number[] {
  out.length = 0;
  let groups = 0;
  let pid = -1;
  for (let i = 0; i < lost.length; i++) {
    const v = lost[i]!;
    if (pid < 0 || v <= pid || v > pid + 16) {
      if (groups >= fciCount) break;
      groups++;
      pid = v;
    }
    out.push(v & 0xffff);
  }
  return out;
}
