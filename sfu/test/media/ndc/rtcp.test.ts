import { describe, expect, it } from 'vitest';
import {
  buildNack,
  buildPli,
  buildRemb,
  buildRr,
  isRtcp,
  ntpOf,
  parseRtcp,
  writeSr,
  type RtcpSink,
} from '../../../src/media/ndc/rtcp.js';

function collect(b: Buffer) {
  const out = {
    reports: [] as [number, number, number][],
    nacks: [] as [number, number[]][],
    keyframes: [] as number[],
    rembs: [] as [number, number[]][],
    srs: [] as [number, number][],
  };
  const sink: RtcpSink = {
    onReportBlock: (s, f, j) => out.reports.push([s, f, j]),
    onNack: (s, q) => out.nacks.push([s, q]),
    onKeyframeRequest: (s) => out.keyframes.push(s),
    onRemb: (bps, s) => out.rembs.push([bps, s]),
    onSenderReport: (s, n) => out.srs.push([s, n]),
  };
  parseRtcp(b, sink);
  return out;
}

function nack(media: number, fcis: [number, number][]): Buffer {
  const b = Buffer.alloc(12 + 4 * fcis.length);
  b[0] = 0x81;
  b[1] = 205;
  b.writeUInt16BE(2 + fcis.length, 2);
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(media, 8);
  fcis.forEach(([pid, blp], i) => {
    b.writeUInt16BE(pid, 12 + 4 * i);
    b.writeUInt16BE(blp, 14 + 4 * i);
  });
  return b;
}

describe('RTCP (RFC 3550, RFC 4585, RFC 5104, REMB)', () => {
  it('tells RTCP from RTP by the packet type byte (RFC 5761 4)', () => {
    expect(isRtcp(buildPli(1, 2))).toBe(true);
    expect(isRtcp(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe(false);
  });

  it('expands generic NACK bitmasks across the sequence wrap', () => {
    const out = collect(
      nack(42, [
        [65534, 0b101],
        [0, 0],
      ]),
    );
    expect(out.nacks).toEqual([[42, [65534, 65535, 1, 0]]]);
  });

  it('packs lost sequence numbers into NACK FCIs and reads them back across the wrap', () => {
    const seqs = [65530, 65535, 0, 3, 40, 41];
    const b = buildNack(1, 99, seqs);
    // 65530 carries 65535, 0 and 3 in its bitmask; 40 carries 41: two FCIs.
    expect(b.length).toBe(12 + 8);
    expect(collect(b).nacks).toEqual([[99, seqs]]);
  });

  it('reads PLI, FIR and REMB out of one compound packet, and the blocks of an RR', () => {
    const fir = Buffer.alloc(20);
    fir[0] = 0x84;
    fir[1] = 206;
    fir.writeUInt16BE(4, 2);
    fir.writeUInt32BE(9, 12);
    const rr = buildRr(7, [
      {
        ssrc: 11,
        fractionLost: 64,
        cumulativeLost: 3,
        extendedHighestSeq: 70000,
        jitter: 12,
        lastSr: 0,
        delaySinceLastSr: 0,
      },
    ]);
    const out = collect(Buffer.concat([rr, buildPli(1, 77), fir, buildRemb(1, 2_500_000, [5, 6])]));
    expect(out.reports).toEqual([[11, 0.25, 12]]);
    expect(out.keyframes).toEqual([77, 9]);
    expect(out.rembs).toHaveLength(1);
    expect(out.rembs[0]![1]).toEqual([5, 6]);
    // 18-bit mantissa: the value survives within one part in 2^17.
    expect(Math.abs(out.rembs[0]![0] - 2_500_000) / 2_500_000).toBeLessThan(1e-5);
  });

  it('writes receiver reports for heavy loss (fraction of 128 and more, as after an outage)', () => {
    const block = {
      ssrc: 0xfedcba98,
      cumulativeLost: 275,
      extendedHighestSeq: 70000,
      jitter: 0,
      lastSr: 0,
      delaySinceLastSr: 0,
    };
    for (const fractionLost of [128, 247, 255]) {
      const rr = buildRr(7, [{ ...block, fractionLost }]);
      expect(rr.readUInt8(12)).toBe(fractionLost);
      expect(rr.readUIntBE(13, 3)).toBe(275);
      expect(collect(rr).reports).toEqual([[0xfedcba98, fractionLost / 256, 0]]);
    }
    // Negative cumulative loss (duplicates) keeps its 24-bit two's complement beside a high fraction.
    const dup = buildRr(7, [{ ...block, fractionLost: 200, cumulativeLost: -2 }]);
    expect(dup.readUInt32BE(12)).toBe(((200 << 24) >>> 0) + 0xfffffe);
  });

  it('writes sender reports the parser reads back, and stops at a truncated packet', () => {
    const buf = Buffer.alloc(56);
    const { sec, frac } = ntpOf(Date.UTC(2026, 0, 1));
    let off = writeSr(buf, 0, 0xabc, sec, frac, 90000, 10, 1000);
    off = writeSr(buf, off, 0xdef, sec, frac, 90000, 10, 1000);
    const out = collect(buf.subarray(0, off));
    expect(out.srs.map(([s]) => s)).toEqual([0xabc, 0xdef]);
    expect(out.srs[0]![1]).toBe((((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0);
    expect(collect(buf.subarray(0, 30)).srs).toHaveLength(1);
    expect(collect(Buffer.from([0x81, 205, 0, 9, 0, 0, 0, 0])).nacks).toEqual([]);
  });
});
