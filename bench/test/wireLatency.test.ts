import { describe, expect, it } from 'vitest';
import { pairCopies, readPcap } from '../src/media/wireLatency.js';

const SFU_PORT = 40_000;

/**
 * One captured frame: Ethernet + IPv4 + UDP + a 12-byte RTP header (or the given first bytes). With
 * `payload`, the UDP length says that many bytes followed the header (the capture keeps only the header).
 */
function frame(
  src: number,
  dst: number,
  rtp: { ssrc: number; seq: number } | Buffer,
  payload?: number,
): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = 17;
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(src, 0);
  udp.writeUInt16BE(dst, 2);
  if (payload !== undefined) udp.writeUInt16BE(8 + 12 + payload, 4);
  let body: Buffer;
  if (Buffer.isBuffer(rtp)) body = rtp;
  else {
    body = Buffer.alloc(12);
    body[0] = 0x80;
    body[1] = 96;
    body.writeUInt16BE(rtp.seq & 0xffff, 2);
    body.writeUInt32BE(rtp.ssrc, 8);
  }
  return Buffer.concat([eth, ip, udp, body]);
}

/** A nanosecond pcap (as tcpdump --time-stamp-precision=nano writes) of frames at the given times. */
function pcap(records: { ms: number; data: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b23c4d, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(64, 16);
  head.writeUInt32LE(1, 20);
  const parts: Buffer[] = [head];
  for (const r of records) {
    const h = Buffer.alloc(16);
    const ns = Math.round(r.ms * 1e6);
    h.writeUInt32LE(Math.floor(ns / 1e9), 0);
    h.writeUInt32LE(ns % 1e9, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.data.length, 12);
    parts.push(h, r.data);
  }
  return Buffer.concat(parts);
}

describe('wire latency', () => {
  it('pairs each copy with its input by the learned sequence offset and skips retransmissions', () => {
    const records: { ms: number; data: Buffer }[] = [];
    const PUB = 0x1111;
    // 200 input packets 2 ms apart from 65,500 (the sequence wraps), each copied to two subscribers
    // with their own SSRC and offset: one 1 ms later, one 3 ms later.
    for (let i = 0; i < 200; i++) {
      const t = 1_000 + i * 2;
      const seq = 65_500 + i;
      records.push({ ms: t, data: frame(50_001, SFU_PORT, { ssrc: PUB, seq }) });
      records.push({ ms: t + 1, data: frame(SFU_PORT, 50_002, { ssrc: 0xa, seq: seq + 7 }) });
      records.push({ ms: t + 3, data: frame(SFU_PORT, 50_003, { ssrc: 0xb, seq: seq - 1000 }) });
    }
    // A retransmission much later, STUN and RTCP on the same port, and traffic between other ports.
    records.push({ ms: 2_000, data: frame(SFU_PORT, 50_002, { ssrc: 0xa, seq: 65_500 + 10 + 7 }) });
    records.push({ ms: 2_001, data: frame(50_001, SFU_PORT, Buffer.from('0001000c2112a442', 'hex')) });
    const rtcp = Buffer.alloc(12);
    rtcp[0] = 0x80;
    rtcp[1] = 200;
    records.push({ ms: 2_002, data: frame(SFU_PORT, 50_002, rtcp) });
    records.push({ ms: 2_003, data: frame(50_001, 50_002, { ssrc: PUB, seq: 1 }) });
    records.sort((a, b) => a.ms - b.ms);

    const { inbound, outbound } = readPcap(pcap(records), new Set([SFU_PORT]));
    expect(inbound).toHaveLength(200);
    expect(outbound).toHaveLength(401);
    const r = pairCopies(inbound, outbound);
    expect(r.copies).toBe(401);
    expect(r.paired).toBe(400);
    expect(r.p50Ms).toBeCloseTo(1.01, 1);
    expect(r.p99Ms).toBeCloseTo(3.01, 1);
    expect(r.maxMs).toBeCloseTo(3, 3);
  });

  it('pairs streams that advance in step with their own input, not an older packet or another stream', () => {
    // Two publishers' audio, 20 ms apart each and 1 ms apart from each other, copied 5 ms after arrival.
    // Within the 50 ms learning window each copy also follows its stream's two previous packets and three
    // of the other stream's, all advancing in step; only the payload sizes (Opus varies them) tell them apart.
    const records: { ms: number; data: Buffer }[] = [];
    const size = (i: number, salt: number) => 60 + ((i * 37 + salt * 11) % 90);
    for (let i = 0; i < 150; i++) {
      const t = 1_000 + i * 20;
      records.push({ ms: t, data: frame(50_001, SFU_PORT, { ssrc: 0xa1, seq: 300 + i }, size(i, 1)) });
      records.push({ ms: t + 1, data: frame(50_004, SFU_PORT, { ssrc: 0xb1, seq: 9_000 + i }, size(i, 2)) });
      records.push({ ms: t + 5, data: frame(SFU_PORT, 50_002, { ssrc: 0xc, seq: 400 + i }, size(i, 1)) });
      records.push({ ms: t + 6, data: frame(SFU_PORT, 50_002, { ssrc: 0xd, seq: 100 + i }, size(i, 2)) });
    }
    const { inbound, outbound } = readPcap(pcap(records), new Set([SFU_PORT]));
    const r = pairCopies(inbound, outbound);
    expect(r.paired).toBe(300);
    expect(r.p50Ms).toBeCloseTo(5, 1);
    expect(r.maxMs).toBeCloseTo(5, 3);
  });

  it('refuses a file that is not a pcap', () => {
    expect(() => readPcap(Buffer.alloc(64, 7), new Set([SFU_PORT]))).toThrow(/not a little-endian pcap/);
  });
});
