// The gateway's frame follower on byte streams cut at every possible place: headers split across
// reads, 16- and 64-bit lengths, fragments adding up past the limit.
import { describe, expect, it } from 'vitest';
import { FrameScanner, MessageLimit, closeFrame, parseFrameHeader } from '../src/ws-frames.js';

/** A client frame (masked) with `length` payload bytes. */
function frame(opcode: number, length: number, fin = true): Buffer {
  const head =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | length])
      : length < 0x10000
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 127]), u64(length)]);
  return Buffer.concat([head, Buffer.from([1, 2, 3, 4]), Buffer.alloc(length, 0x61)]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(n / 2 ** 32), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

/** Feeds `stream` in pieces of `size` bytes; returns what was relayed and whether the scan stopped. */
function feedAll(stream: Buffer, size: number, limit: number): { relayed: number; stopped: boolean } {
  const scanner = new FrameScanner();
  const messages = new MessageLimit(limit);
  let relayed = 0;
  for (let at = 0; at < stream.length; at += size) {
    const { out, stopped } = scanner.feed(stream.subarray(at, at + size), {
      accept: (h) => messages.accept(h),
    });
    relayed += out.length;
    if (stopped) return { relayed, stopped };
  }
  expect(scanner.atBoundary()).toBe(true);
  return { relayed, stopped: false };
}

describe('WebSocket frame scanner', () => {
  it('relays whole streams cut anywhere, and stops exactly before a frame above the limit', () => {
    const small = [frame(1, 10), frame(9, 3), frame(2, 300), frame(1, 70_000)];
    const ok = Buffer.concat(small);
    const tooBig = frame(1, 70_001);
    for (const size of [1, 2, 3, 7, 64, 1000, ok.length]) {
      expect(feedAll(ok, size, 70_000)).toEqual({ relayed: ok.length, stopped: false });
      expect(feedAll(Buffer.concat([ok, tooBig]), size, 70_000)).toEqual({
        relayed: ok.length,
        stopped: true,
      });
    }
  });

  it('adds fragments up (control frames between them do not count) and starts over after the last', () => {
    const fragments = [frame(1, 600, false), frame(9, 5), frame(0, 400, true)];
    expect(feedAll(Buffer.concat(fragments), 5, 1000).stopped).toBe(false);
    const over = [frame(1, 600, false), frame(0, 401, true)];
    expect(feedAll(Buffer.concat(over), 5, 1000)).toEqual({ relayed: over[0]!.length, stopped: true });
    const twice = Buffer.concat([...fragments, ...fragments]);
    expect(feedAll(twice, 11, 1000).stopped).toBe(false);
  });

  it('reads 64-bit lengths, even absurd ones, from the header alone', () => {
    const head = Buffer.concat([Buffer.from([0x81, 0xff]), u64(2 ** 62), Buffer.from([1, 2, 3, 4])]);
    expect(parseFrameHeader(head, 0)).toMatchObject({ opcode: 1, length: Number.MAX_SAFE_INTEGER, size: 14 });
    expect(parseFrameHeader(head.subarray(0, 13), 0)).toBeUndefined();
    expect(feedAll(head, 3, 1024 * 1024)).toEqual({ relayed: 0, stopped: true });
  });

  it('stops at the next boundary on request, also at the very start', () => {
    const scanner = new FrameScanner();
    const stream = Buffer.concat([frame(1, 20), frame(1, 20)]);
    expect(scanner.feed(stream.subarray(0, 10), {}).out.length).toBe(10);
    const { out, stopped } = scanner.feed(stream.subarray(10), { stopAtBoundary: true });
    expect({ relayed: 10 + out.length, stopped }).toEqual({ relayed: frame(1, 20).length, stopped: true });
    expect(new FrameScanner().feed(stream, { stopAtBoundary: true })).toEqual({
      out: Buffer.alloc(0),
      stopped: true,
    });
  });

  it('builds close frames a server and a client may send', () => {
    const server = closeFrame(1009, 'message too big', false);
    expect(parseFrameHeader(server, 0)).toMatchObject({ fin: true, opcode: 8, length: 17, size: 2 });
    expect(server.readUInt16BE(2)).toBe(1009);
    expect(server.subarray(4).toString()).toBe('message too big');
    const client = closeFrame(1001, 'x'.repeat(300), true);
    expect(parseFrameHeader(client, 0)).toMatchObject({ opcode: 8, length: 125, size: 6 });
    const key = client.subarray(2, 6);
    expect(((client[6]! ^ key[0]!) << 8) | (client[7]! ^ key[1]!)).toBe(1001);
  });
});
