import { describe, expect, it } from 'vitest';
import { Munger } from '../../src/media/Munger.js';
import { parseVp8, seqDiff, Vp8Info } from '../../src/media/rtp.js';
import { picDiff, rewriteVp8Ids, Vp8Munger } from '../../src/media/Vp8Munger.js';

/** A VP8 payload (RFC 7741 4.2) with a 15-bit picture id and TL0PICIDX, then a few payload bytes. */
function vp8Packet(pictureId: number, tl0: number, keyframe: boolean): Buffer {
  return Buffer.from([
    0x90, // X, S
    0xc0, // I, L
    0x80 | ((pictureId >> 8) & 0x7f),
    pictureId & 0xff,
    tl0,
    keyframe ? 0x10 : 0x11, // P bit clear on keyframes
    0x02,
    0x03,
  ]);
}

function info(p: Buffer): Vp8Info {
  const i = new Vp8Info();
  expect(parseVp8(p, i)).toBe(true);
  return i;
}

const PIC_STARTS = [0, 127, 16383, 32767];

describe('Vp8Munger', () => {
  for (const a0 of PIC_STARTS) {
    it(`keeps picture ids and TL0PICIDX continuous across a source switch (from ${a0})`, () => {
      const m = new Vp8Munger();
      m.rebase(info(vp8Packet(a0, 250, true)));
      let last = -1;
      let lastTl0 = -1;
      for (let i = 0; i < 10; i++) {
        m.map(info(vp8Packet((a0 + i) & 0x7fff, (250 + i) & 0xff, i === 0)));
        if (last >= 0) expect(picDiff(m.outPictureId, last)).toBe(1);
        last = m.outPictureId;
        lastTl0 = m.outTl0;
      }
      // A second source with unrelated numbering, across the 15-bit wrap.
      const b0 = (a0 + 20000) & 0x7fff;
      m.rebase(info(vp8Packet(b0, 3, true)));
      m.map(info(vp8Packet(b0, 3, true)));
      expect(m.outPictureId).toBe((last + 1) & 0x7fff);
      expect(m.outTl0).toBe((lastTl0 + 1) & 0xff);
      m.map(info(vp8Packet((b0 + 1) & 0x7fff, 4, false)));
      expect(m.outPictureId).toBe((last + 2) & 0x7fff);
    });
  }

  it('continues a stream that stopped on a reused m-line', () => {
    const m = new Vp8Munger();
    m.continueFrom(32766, 255);
    m.rebase(info(vp8Packet(5, 9, true)));
    m.map(info(vp8Packet(5, 9, true)));
    expect(m.outPictureId).toBe(32767);
    expect(m.outTl0).toBe(0);
    m.map(info(vp8Packet(6, 9, false)));
    expect(m.outPictureId).toBe(0);
    expect(m.lastPictureId).toBe(0);
  });

  it('rewrites the ids in a copy and leaves the source untouched', () => {
    const src = vp8Packet(1234, 7, true);
    const before = Buffer.from(src);
    const dst = Buffer.alloc(64);
    const n = rewriteVp8Ids(src, info(src), 32000, 200, dst);
    expect(src.equals(before)).toBe(true);
    const out = info(dst.subarray(0, n));
    expect(out.pictureId).toBe(32000);
    expect(out.tl0PicIdx).toBe(200);
    expect(out.keyframe).toBe(true);
    expect(dst.subarray(5, n).equals(src.subarray(5))).toBe(true);
  });
});

describe('Munger.continueFrom', () => {
  for (const seq0 of [0, 32767, 65535]) {
    it(`a new source on a reused m-line continues after ${seq0} instead of jumping back`, () => {
      const m = new Munger(90000);
      m.continueFrom(seq0, 4_000_000_000, 1000);
      expect(m.map(100, 5, 1000)).toBe(false);
      m.rebase(100, 5, 1100);
      expect(m.map(100, 5, 1100)).toBe(true);
      expect(seqDiff(m.outSeq, seq0)).toBe(1);
      expect(m.outTs).toBe((4_000_000_000 + 9000) >>> 0);
      expect(m.map(101, 3005, 1133)).toBe(true);
      expect(seqDiff(m.outSeq, seq0)).toBe(2);
    });
  }
});
