import { describe, expect, it } from 'vitest';
import {
  extensionText,
  findExtension,
  parseRtp,
  RtpView,
  writeRtpHeader,
} from '../../../src/media/ndc/rtpHeader.js';

function packet(opts: {
  seq: number;
  ts: number;
  ssrc: number;
  ext?: number[];
  pad?: number;
  payload?: number[];
}): Buffer {
  const ext = opts.ext ?? [];
  const payload = opts.payload ?? [1, 2, 3];
  const pad = opts.pad ?? 0;
  const b = Buffer.alloc(12 + ext.length + payload.length + pad);
  b[0] = 0x80 | (ext.length > 0 ? 0x10 : 0) | (pad > 0 ? 0x20 : 0);
  b[1] = 0x80 | 96;
  b.writeUInt16BE(opts.seq, 2);
  b.writeUInt32BE(opts.ts >>> 0, 4);
  b.writeUInt32BE(opts.ssrc >>> 0, 8);
  Buffer.from(ext).copy(b, 12);
  Buffer.from(payload).copy(b, 12 + ext.length);
  if (pad > 0) b[b.length - 1] = pad;
  return b;
}

describe('RTP header parsing (RFC 3550 5.1, RFC 8285)', () => {
  it('reads the fixed header at the wrap-around values', () => {
    const v = new RtpView();
    for (const seq of [0, 32767, 65535]) {
      expect(parseRtp(packet({ seq, ts: 0xffffffff, ssrc: 0xfedcba98 }), v)).toBe(true);
      expect(v.seq).toBe(seq);
      expect(v.ts).toBe(0xffffffff);
      expect(v.ssrc).toBe(0xfedcba98);
      expect(v.marker).toBe(true);
      expect(v.payloadType).toBe(96);
      expect(v.payloadEnd - v.payloadOffset).toBe(3);
    }
  });

  it('finds one-byte extension elements (mid and rid) and strips padding from the payload', () => {
    // 0xBEDE, 2 words: mid "1" (id 1, len 1), rid "h" (id 3, len 1), padding.
    const ext = [0xbe, 0xde, 0, 2, 0x10, 0x31, 0x30, 0x68, 0, 0, 0, 0];
    const b = packet({ seq: 7, ts: 1, ssrc: 5, ext, pad: 4, payload: [9, 9] });
    const v = new RtpView();
    expect(parseRtp(b, v)).toBe(true);
    expect(v.payloadEnd - v.payloadOffset).toBe(2);
    const span = { start: 0, end: 0 };
    expect(findExtension(b, v, 1, span) && extensionText(b, span)).toBe('1');
    expect(findExtension(b, v, 3, span) && extensionText(b, span)).toBe('h');
    expect(findExtension(b, v, 2, span)).toBe(false);
  });

  it('finds two-byte extension elements', () => {
    const ext = [0x10, 0x00, 0, 1, 5, 2, 0x71, 0x71];
    const b = packet({ seq: 1, ts: 1, ssrc: 1, ext });
    const v = new RtpView();
    expect(parseRtp(b, v)).toBe(true);
    const span = { start: 0, end: 0 };
    expect(findExtension(b, v, 5, span) && extensionText(b, span)).toBe('qq');
  });

  it('refuses truncated and non-RTP buffers without reading past them', () => {
    const v = new RtpView();
    expect(parseRtp(Buffer.alloc(11), v)).toBe(false);
    expect(parseRtp(Buffer.from([0x40, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), v)).toBe(false);
    const claimsExt = packet({ seq: 1, ts: 1, ssrc: 1 });
    claimsExt[0] = 0x90;
    expect(parseRtp(claimsExt, v)).toBe(false);
    const badPad = packet({ seq: 1, ts: 1, ssrc: 1, payload: [200] });
    badPad[0] = 0xa0;
    expect(parseRtp(badPad, v)).toBe(false);
  });

  it('writes a header the parser reads back, with mid and abs-send-time elements', () => {
    const buf = Buffer.alloc(64);
    const at = { absSendTimeAt: -1 };
    const len = writeRtpHeader(buf, 0xdeadbeef, 111, { midId: 1, mid: '12', absSendTimeId: 2 }, at);
    expect(len % 4).toBe(0);
    expect(at.absSendTimeAt).toBeGreaterThan(12);
    buf.writeUInt16BE(65535, 2);
    const v = new RtpView();
    expect(parseRtp(buf.subarray(0, len + 4), v)).toBe(true);
    expect(v.ssrc).toBe(0xdeadbeef);
    expect(v.payloadType).toBe(111);
    expect(v.payloadOffset).toBe(len);
    const span = { start: 0, end: 0 };
    expect(findExtension(buf, v, 1, span) && extensionText(buf, span)).toBe('12');
    expect(findExtension(buf, v, 2, span) && span.end - span.start).toBe(3);
    expect(writeRtpHeader(buf, 1, 96, { midId: 0, mid: '', absSendTimeId: 0 }, at)).toBe(12);
  });
});
