import { describe, expect, it } from 'vitest';
import { PerPacketSrtp, ReusedSrtp, keysFor } from '../src/ceiling/srtp.js';

function rtp(seq: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 12; i < len; i++) b[i] = (i * 13 + seq) & 0xff;
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(0x11223344, 8);
  return b;
}

describe('ceiling SRTP transforms', () => {
  it('reused-context and per-packet protect produce the same bytes and round-trip', () => {
    const k = keysFor(7);
    const a = new PerPacketSrtp(k);
    const b = new ReusedSrtp(k);
    for (const [seq, len] of [
      [0, 13],
      [32767, 200],
      [65535, 1200],
      [1, 1211],
    ] as const) {
      const p = rtp(seq, len);
      const oa = Buffer.alloc(len + 10);
      const ob = Buffer.alloc(len + 10);
      expect(a.protect(p, len, oa)).toBe(len + 10);
      expect(b.protect(p, len, ob)).toBe(len + 10);
      expect(ob.equals(oa)).toBe(true);
      expect(oa.subarray(12, len).equals(p.subarray(12, len))).toBe(false);
      const back = Buffer.alloc(len + 10);
      expect(b.unprotect(oa, len + 10, back)).toBe(len);
      expect(back.subarray(0, len).equals(p)).toBe(true);
    }
  });

  it('rejects a packet whose tag does not match', () => {
    const k = keysFor(1);
    const ctx = new ReusedSrtp(k);
    const out = Buffer.alloc(210);
    ctx.protect(rtp(5, 200), 200, out);
    out[50]! ^= 1;
    expect(ctx.unprotect(out, 210, Buffer.alloc(210))).toBe(-1);
    expect(new PerPacketSrtp(k).unprotect(out, 210, Buffer.alloc(210))).toBe(-1);
  });
});
