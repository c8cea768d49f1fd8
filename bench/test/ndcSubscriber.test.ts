import { describe, expect, it } from 'vitest';
import { holdCandidates, rtpPayloadBounds } from '../src/media/ndcSubscriber.js';

function rtp(opts: {
  csrc?: number;
  extWords?: number;
  padding?: number;
  payload: number;
  pt?: number;
}): Buffer {
  const csrc = opts.csrc ?? 0;
  const ext = opts.extWords === undefined ? 0 : 4 + opts.extWords * 4;
  const pad = opts.padding ?? 0;
  const b = Buffer.alloc(12 + csrc * 4 + ext + opts.payload + pad, 0xaa);
  b[0] = 0x80 | (opts.extWords === undefined ? 0 : 0x10) | (pad ? 0x20 : 0) | csrc;
  b[1] = opts.pt ?? 96;
  if (opts.extWords !== undefined) {
    b.writeUInt16BE(0xbede, 12 + csrc * 4);
    b.writeUInt16BE(opts.extWords, 12 + csrc * 4 + 2);
  }
  if (pad) b[b.length - 1] = pad;
  return b;
}

describe('rtpPayloadBounds', () => {
  it('finds the payload after CSRCs and a header extension, before padding', () => {
    expect(rtpPayloadBounds(rtp({ payload: 100 }))).toEqual({ start: 12, end: 112 });
    expect(rtpPayloadBounds(rtp({ csrc: 2, extWords: 3, payload: 50 }))).toEqual({ start: 36, end: 86 });
    expect(rtpPayloadBounds(rtp({ payload: 40, padding: 4 }))).toEqual({ start: 12, end: 52 });
  });

  it('refuses RTCP, other versions and packets too short for what their header says', () => {
    expect(rtpPayloadBounds(rtp({ payload: 20, pt: 200 }))).toBeNull(); // SR
    expect(rtpPayloadBounds(rtp({ payload: 20, pt: (201 & 0x7f) | 0x80 }))).toBeNull(); // RR (marker bit)
    const v1 = rtp({ payload: 20 });
    v1[0] = 0x40;
    expect(rtpPayloadBounds(v1)).toBeNull();
    expect(rtpPayloadBounds(Buffer.alloc(8))).toBeNull();
    const lying = rtp({ extWords: 1, payload: 4 });
    lying.writeUInt16BE(100, 14); // claims a 400-byte extension
    expect(rtpPayloadBounds(lying)).toBeNull();
    expect(rtpPayloadBounds(rtp({ payload: 4, padding: 200 }).subarray(0, 20))).toBeNull();
  });
});

describe('holdCandidates', () => {
  it('takes every candidate out of the offer with its section mid and drops end-of-candidates', () => {
    const sdp = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=mid:0',
      'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host',
      'a=end-of-candidates',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:1',
      'a=candidate:2 1 udp 2130706431 127.0.0.1 50002 typ host',
      '',
    ].join('\r\n');
    const held: Array<{ candidate: string; mid: string }> = [];
    const out = holdCandidates(sdp, held);
    expect(out).not.toContain('a=candidate');
    expect(out).not.toContain('end-of-candidates');
    expect(out).toContain('a=mid:1');
    expect(held).toEqual([
      { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', mid: '0' },
      { candidate: 'candidate:2 1 udp 2130706431 127.0.0.1 50002 typ host', mid: '1' },
    ]);
  });
});
