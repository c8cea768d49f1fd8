import { describe, expect, it } from 'vitest';
import { Munger } from '../../src/media/Munger.js';
import { seqAdd, seqDiff, tsAdd } from '../../src/media/rtp.js';

const STARTS = [0, 32767, 65535, 65500];
const TS_STARTS = [0, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 32 - 3000];

describe('Munger', () => {
  it('drops everything until started', () => {
    const m = new Munger(90000);
    expect(m.map(10, 1000, 0)).toBe(false);
  });

  for (const seq0 of STARTS) {
    for (const ts0 of TS_STARTS) {
      it(`passes one source through unchanged across wrap (seq ${seq0}, ts ${ts0})`, () => {
        const m = new Munger(90000);
        m.rebase(seq0, ts0, 0);
        for (let i = 0; i < 100; i++) {
          const seq = seqAdd(seq0, i);
          const ts = tsAdd(ts0, i * 3000);
          expect(m.map(seq, ts, i * 33)).toBe(true);
          expect(m.outSeq).toBe(seq);
          expect(m.outTs).toBe(ts);
        }
      });

      it(`keeps sequence continuous and timestamps advancing across a switch (out ${seq0}/${ts0})`, () => {
        const m = new Munger(90000);
        // Source A starts so that the output sits right at the wrap points.
        m.rebase(seq0, ts0, 0);
        let lastSeq = 0;
        let lastTs = 0;
        for (let i = 0; i < 10; i++) {
          expect(m.map(seqAdd(seq0, i), tsAdd(ts0, i * 3000), i * 33)).toBe(true);
          lastSeq = m.outSeq;
          lastTs = m.outTs;
        }
        // Source B: unrelated numbering, switched to 100 ms later.
        const bSeq = (seq0 + 20000) & 0xffff;
        const bTs = tsAdd(ts0, 123456789);
        m.rebase(bSeq, bTs, 9 * 33 + 100);
        expect(m.map(bSeq, bTs, 9 * 33 + 100)).toBe(true);
        expect(m.outSeq).toBe(seqAdd(lastSeq, 1));
        const step = (m.outTs - lastTs) >>> 0;
        expect(step).toBe(9000); // 100 ms at 90 kHz
        // And B's following packets keep their own spacing.
        expect(m.map(seqAdd(bSeq, 1), tsAdd(bTs, 3000), 9 * 33 + 133)).toBe(true);
        expect(m.outSeq).toBe(seqAdd(lastSeq, 2));
        expect((m.outTs - lastTs) >>> 0).toBe(12000);
      });
    }
  }

  it('drops packets of the new source that predate the switch point, keeps late ones after it', () => {
    const m = new Munger(48000);
    m.rebase(65530, 100, 0);
    for (let i = 0; i < 4; i++) m.map(seqAdd(65530, i), 100 + i * 960, i * 20);
    m.rebase(65534, 5000, 100);
    expect(m.map(65533, 4040, 100)).toBe(false);
    expect(m.map(65534, 5000, 100)).toBe(true);
    const at = m.outSeq;
    expect(m.map(1, 5000 + 3 * 960, 160)).toBe(true); // after wrap
    expect(seqDiff(m.outSeq, at)).toBe(3);
    // A late packet (reordered) between the two maps into the gap it belongs to.
    expect(m.map(0, 5000 + 2 * 960, 170)).toBe(true);
    expect(seqDiff(m.outSeq, at)).toBe(2);
    expect(m.highestOutSeq).toBe(seqAdd(at, 3));
  });

  it('advances at least one tick when switching in the same millisecond', () => {
    const m = new Munger(90000);
    m.rebase(1, 1000, 0);
    m.map(1, 1000, 0);
    m.rebase(500, 77, 0);
    m.map(500, 77, 0);
    expect(m.outSeq).toBe(2);
    expect(m.outTs).toBe(1001);
  });
});
