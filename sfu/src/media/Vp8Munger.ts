// Rewrites the VP8 picture id and TL0PICIDX of one outgoing stream (RFC 7741 section 4.2), the way the
// Munger rewrites sequence numbers and timestamps: each simulcast layer, and each publisher that used an
// m-line before, numbers its pictures on its own, and a receiver's frame reference finder takes a jump
// backwards for old frames and drops them. At a switch the new source continues from the last id sent.
import type { Vp8Info } from './rtp.js';

const PIC_MASK = 0x7fff;

/** Signed distance a - b on the 15-bit picture id circle. */
export function picDiff(a: number, b: number): number {
  return ((a - b + 0x4000) & PIC_MASK) - 0x4000;
}

/** a is after b on the 7-bit picture id circle. */
function shortAhead(a: number, b: number): boolean {
  const step = (a - b) & 0x7f;
  return step > 0 && step < 0x40;
}

export class Vp8Munger {
  /** Outputs of the last successful map(). */
  outPictureId = -1;
  outTl0 = -1;
  private picOffset = 0;
  private tl0Offset = 0;
  private lastPic = -1;
  private lastTl0 = -1;

  /** Last picture id and TL0PICIDX sent, for a stream that continues this one. */
  get lastPictureId(): number {
    return this.lastPic;
  }

  get lastTl0PicIdx(): number {
    return this.lastTl0;
  }

  /** Starts as the continuation of a stream that ended at (pictureId, tl0). */
  continueFrom(pictureId: number, tl0: number): void {
    this.lastPic = pictureId;
    this.lastTl0 = tl0;
  }

  /** A new source begins with this picture (a keyframe): it becomes the next picture of the output. */
  rebase(info: Vp8Info): void {
    if (info.pictureId >= 0)
      this.picOffset = this.lastPic < 0 ? 0 : (this.lastPic + 1 - info.pictureId) & PIC_MASK;
    if (info.tl0PicIdx >= 0)
      this.tl0Offset = this.lastTl0 < 0 ? 0 : (this.lastTl0 + 1 - info.tl0PicIdx) & 0xff;
  }

  /** Maps the ids of a packet of the current source into outPictureId / outTl0 (-1 when absent). */
  map(info: Vp8Info): void {
    if (info.pictureId >= 0) {
      const out = (info.pictureId + this.picOffset) & PIC_MASK;
      this.outPictureId = out;
      // A 7-bit id goes out as its low 7 bits and wraps at 128: compare on that circle, or the last id
      // sticks at the wrap and the next switch continues from a stale (backwards) id.
      const ahead = info.pictureIdLong ? picDiff(out, this.lastPic) > 0 : shortAhead(out, this.lastPic);
      if (this.lastPic < 0 || ahead) this.lastPic = out;
    } else {
      this.outPictureId = -1;
    }
    if (info.tl0PicIdx >= 0) {
      const out = (info.tl0PicIdx + this.tl0Offset) & 0xff;
      this.outTl0 = out;
      if (this.lastTl0 < 0 || ((out - this.lastTl0) & 0xff) < 0x80) this.lastTl0 = out;
    } else {
      this.outTl0 = -1;
    }
  }
}

/**
 * Copies `src` into `dst` with the picture id and TL0PICIDX replaced; the descriptor keeps its layout
 * (a 7-bit picture id stays 7 bits). Returns the length written. `dst` must hold src.length bytes.
 */
export function rewriteVp8Ids(
  src: Buffer,
  info: Vp8Info,
  pictureId: number,
  tl0: number,
  dst: Buffer,
): number {
  const n = src.copy(dst, 0, 0, src.length);
  const po = info.pictureIdOffset;
  if (po >= 0 && pictureId >= 0) {
    if (info.pictureIdLong) {
      dst[po] = 0x80 | ((pictureId >> 8) & 0x7f);
      dst[po + 1] = pictureId & 0xff;
    } else {
      dst[po] = pictureId & 0x7f;
    }
  }
  if (info.tl0Offset >= 0 && tl0 >= 0) dst[info.tl0Offset] = tl0 & 0xff;
  return n;
}
