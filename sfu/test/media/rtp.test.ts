import { describe, expect, it } from 'vitest';
import { PliThrottle } from '../../src/media/PliThrottle.js';
import {
  absSendTime,
  isH264Keyframe,
  parseAudioLevel,
  parseVp8,
  rembExpMantissa,
  seqAdd,
  seqDiff,
  trimNackList,
  tsAdd,
  tsDiff,
  Vp8Info,
} from '../../src/media/rtp.js';
import { addStartBitrate, looksLikeSdp, stripTransportCc } from '../../src/media/sdp.js';

describe('sequence and timestamp arithmetic', () => {
  it('wraps 16-bit sequence numbers', () => {
    expect(seqAdd(65535, 1)).toBe(0);
    expect(seqAdd(32767, 1)).toBe(32768);
    expect(seqDiff(0, 65535)).toBe(1);
    expect(seqDiff(65535, 0)).toBe(-1);
    expect(seqDiff(32767, 0)).toBe(32767);
    expect(seqDiff(32768, 0)).toBe(-32768);
  });
  it('wraps 32-bit timestamps', () => {
    expect(tsAdd(2 ** 32 - 1, 1)).toBe(0);
    expect(tsDiff(0, 2 ** 32 - 1)).toBe(1);
    expect(tsDiff(2 ** 32 - 1, 0)).toBe(-1);
  });
});

describe('VP8 payload parsing (RFC 7741)', () => {
  // Descriptor with X, I (15-bit picture id), L, T/K; then a keyframe header 640x360.
  const keyframe = Buffer.from([
    0x90,
    0xe0,
    0x80 | 0x12,
    0x34,
    0x05,
    0x20,
    0x50,
    0x42,
    0x00,
    0x9d,
    0x01,
    0x2a,
    0x80,
    0x02,
    0x68,
    0x01,
  ]);
  it('detects a keyframe and reads its size and picture id', () => {
    const o = new Vp8Info();
    expect(parseVp8(keyframe, o)).toBe(true);
    expect(o.keyframe).toBe(true);
    expect(o.pictureId).toBe(0x1234);
    expect(o.width).toBe(640);
    expect(o.height).toBe(360);
  });
  it('does not call a delta frame or a continuation packet a keyframe', () => {
    const o = new Vp8Info();
    const delta = Buffer.from(keyframe);
    delta[6] = 0x51; // P bit set: interframe
    expect(parseVp8(delta, o)).toBe(true);
    expect(o.keyframe).toBe(false);
    const cont = Buffer.from(keyframe);
    cont[0] = 0x80; // S bit clear
    expect(parseVp8(cont, o)).toBe(true);
    expect(o.keyframe).toBe(false);
  });
  it('rejects truncated payloads without reading past the end', () => {
    const o = new Vp8Info();
    expect(parseVp8(Buffer.alloc(0), o)).toBe(false);
    expect(parseVp8(Buffer.from([0x90]), o)).toBe(false);
    expect(parseVp8(Buffer.from([0x90, 0x80, 0x80]), o)).toBe(false);
    for (let n = 1; n < keyframe.length; n++) parseVp8(keyframe.subarray(0, n), o);
  });
});

describe('other payload helpers', () => {
  it('finds H.264 IDR in single NAL, STAP-A and FU-A start', () => {
    expect(isH264Keyframe(Buffer.from([0x65, 0]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x41, 0]))).toBe(false);
    expect(isH264Keyframe(Buffer.from([0x78, 0x00, 0x02, 0x67, 0x00]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x7c, 0x85]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x7c, 0x05]))).toBe(false);
  });
  it('reads RFC 6464 levels', () => {
    expect(parseAudioLevel(Buffer.from([0x80 | 30]))).toBe(30);
    expect(parseAudioLevel(Buffer.from([127]))).toBe(127);
    expect(parseAudioLevel(Buffer.alloc(0))).toBe(-1);
  });
  it('encodes REMB mantissa and exponent', () => {
    const { exp, mantissa } = rembExpMantissa(3_000_000);
    expect(mantissa).toBeLessThan(2 ** 18);
    expect(mantissa * 2 ** exp).toBeLessThanOrEqual(3_000_000);
    expect(mantissa * 2 ** exp).toBeGreaterThan(2_999_000);
  });
  it('writes 24-bit abs-send-time', () => {
    expect(absSendTime(1000)).toBe(262144);
    expect(absSendTime(64_000)).toBe(0); // wraps every 64 s
  });
  it('keeps only the NACK FCIs of the packet and wraps them', () => {
    // Two FCIs: 65535 (+1 +2 via bitmask, unwrapped by werift) and 100; then junk parsed from the next packet.
    const lost = [65535, 65536, 65537, 100, 7, 9000];
    expect(trimNackList(lost, 2, [])).toEqual([65535, 0, 1, 100]);
    expect(trimNackList(lost, 1, [])).toEqual([65535, 0, 1]);
  });
  it('throttles keyframe requests per layer', () => {
    const t = new PliThrottle(500, 3);
    expect(t.allow(0, 0)).toBe(true);
    expect(t.allow(0, 100)).toBe(false);
    expect(t.allow(1, 100)).toBe(true);
    expect(t.allow(0, 500)).toBe(true);
    expect(t.allow(5, 0)).toBe(false);
    t.reset(1);
    expect(t.allow(1, 101)).toBe(true);
  });
});

describe('SDP edits', () => {
  const offer = [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
    'a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 transport-cc',
    'a=rtcp-fb:96 nack',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10',
    '',
  ].join('\r\n');
  it('strips transport-cc', () => {
    const s = stripTransportCc(offer);
    expect(s).not.toMatch(/transport-cc|transport-wide-cc/);
    expect(s).toMatch(/a=rtcp-fb:96 nack/);
  });
  it('adds x-google-start-bitrate to video codecs only', () => {
    const s = addStartBitrate(offer, 1500);
    expect(s).toMatch(/a=fmtp:96 x-google-start-bitrate=1500\r\n/);
    expect(s).toMatch(/a=fmtp:97 apt=96\r\n/);
    expect(s).toMatch(/a=fmtp:111 minptime=10\r\n/);
  });
  it('recognises SDP-like input', () => {
    expect(looksLikeSdp(offer)).toBe(true);
    expect(looksLikeSdp('hello')).toBe(false);
    expect(looksLikeSdp(42)).toBe(false);
  });
});
