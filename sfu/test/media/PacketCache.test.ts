import { describe, expect, it } from 'vitest';
import { PacketCache, type CachedPacket } from '../../src/media/PacketCache.js';

const out = (): CachedPacket => ({ seq: 0, ts: 0, marker: false, payload: Buffer.alloc(0) });

describe('PacketCache', () => {
  for (const start of [0, 32767, 65535, 65000]) {
    it(`stores and returns packets across the 16-bit wrap (start ${start})`, () => {
      const c = new PacketCache({ size: 64 });
      for (let i = 0; i < 40; i++) {
        const seq = (start + i) & 0xffff;
        c.put(seq, (0xfffffff0 + i * 10) >>> 0, i % 5 === 0, Buffer.from([i, i + 1, i + 2]), 0);
      }
      const o = out();
      for (let i = 0; i < 40; i++) {
        const seq = (start + i) & 0xffff;
        expect(c.get(seq, o, 1)).toBe(true);
        expect(o.seq).toBe(seq);
        expect(o.ts).toBe((0xfffffff0 + i * 10) >>> 0);
        expect(o.marker).toBe(i % 5 === 0);
        expect([...o.payload]).toEqual([i, i + 1, i + 2]);
      }
      expect(c.get((start + 40) & 0xffff, o, 1)).toBe(false);
    });
  }

  it('forgets packets overwritten by newer ones in the same slot', () => {
    const c = new PacketCache({ size: 16 });
    for (let s = 0; s < 20; s++) c.put(s, s, false, Buffer.from([s]), 0);
    const o = out();
    expect(c.get(2, o, 0)).toBe(false);
    expect(c.get(18, o, 0)).toBe(true);
    expect(o.payload[0]).toBe(18);
  });

  it('treats a stale twin 65536 packets back as missing', () => {
    const c = new PacketCache({ size: 16 });
    c.put(5, 1, false, Buffer.from([1]), 0);
    // The stream moves far ahead but packet 5+16k never arrived to overwrite slot 5.
    for (let s = 1000; s < 1010; s++) c.put(s, s, false, Buffer.from([2]), 0);
    expect(c.get(5, out(), 0)).toBe(false);
  });

  it('expires old entries and rejects oversized payloads', () => {
    const c = new PacketCache({ size: 16, slotBytes: 4, maxAgeMs: 100 });
    expect(c.put(1, 1, false, Buffer.alloc(5), 0)).toBe(false);
    expect(c.put(2, 1, false, Buffer.alloc(4), 0)).toBe(true);
    expect(c.get(2, out(), 50)).toBe(true);
    expect(c.get(2, out(), 200)).toBe(false);
  });

  it('reuses its storage: no allocation grows with traffic', () => {
    const c = new PacketCache({ size: 32 });
    const p = Buffer.alloc(1200, 7);
    for (let s = 0; s < 100_000; s++) c.put(s & 0xffff, s, false, p, 0);
    const o1 = out();
    const o2 = out();
    expect(c.get((100_000 - 1) & 0xffff, o1, 0)).toBe(true);
    expect(c.get((100_000 - 2) & 0xffff, o2, 0)).toBe(true);
    expect(o1.payload.length).toBe(1200);
    // Both reads are views into the one preallocated store.
    expect(o1.payload.buffer).toBe(o2.payload.buffer);
    expect(o1.payload.buffer.byteLength).toBeGreaterThanOrEqual(32 * 1500);
  });
});
