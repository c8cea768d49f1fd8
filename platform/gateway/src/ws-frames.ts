// Just enough of RFC 6455 framing for the gateway's tunnel to see where frames begin and end in the
// byte stream it relays: headers are parsed, payloads pass through untouched (never copied or unmasked).
import { randomBytes } from 'node:crypto';

/** Opcodes the tunnel cares about (RFC 6455 section 5.2). */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8 } as const;

/** RFC 6455 section 7.4.1 status codes the tunnel sends itself. */
export const CLOSE_CODE = { goingAway: 1001, messageTooBig: 1009 } as const;

export interface FrameHeader {
  fin: boolean;
  opcode: number;
  /** Payload length in bytes (lengths beyond 2^53 read as Number.MAX_SAFE_INTEGER). */
  length: number;
  /** Header size in bytes, including the masking key. */
  size: number;
}

export interface FeedResult {
  /** Bytes to relay now: whole headers and the payload bytes that go with them. */
  out: Buffer;
  /** True when the scan stopped (a refused header or the requested boundary); the rest is dropped. */
  stopped: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Parses the header at `pos`, or returns undefined when `data` does not hold all of it yet. */
export function parseFrameHeader(data: Buffer, pos: number): FrameHeader | undefined {
  if (data.length - pos < 2) return undefined;
  const b0 = data[pos] ?? 0;
  const b1 = data[pos + 1] ?? 0;
  const len7 = b1 & 0x7f;
  let size = 2 + ((b1 & 0x80) !== 0 ? 4 : 0);
  let length = len7;
  if (len7 === 126) {
    size += 2;
    if (data.length - pos < size) return undefined;
    length = data.readUInt16BE(pos + 2);
  } else if (len7 === 127) {
    size += 8;
    if (data.length - pos < size) return undefined;
    const high = data.readUInt32BE(pos + 2);
    length = high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + data.readUInt32BE(pos + 6);
  }
  if (data.length - pos < size) return undefined;
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, length, size };
}

/**
 * Follows one direction of a WebSocket connection frame by frame. A header split across reads is held
 * back until it is whole, so the relayed bytes always end on a header boundary or inside a payload,
 * and the scanner can stop exactly before a frame.
 */
export class FrameScanner {
  private pending: Buffer = EMPTY;
  private remaining = 0;

  /** True when every byte relayed so far belongs to a complete frame. */
  atBoundary(): boolean {
    return this.pending.length === 0 && this.remaining === 0;
  }

  /**
   * Takes the next bytes read. Stops before a header `accept` refuses, or at the first frame boundary
   * when `stopAtBoundary` is set (the boundary may be the start of this chunk).
   */
  feed(
    chunk: Buffer,
    options: { accept?: (h: FrameHeader) => boolean; stopAtBoundary?: boolean },
  ): FeedResult {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    let pos = 0;
    for (;;) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - pos);
        pos += n;
        this.remaining -= n;
        if (this.remaining > 0) return { out: data.subarray(0, pos), stopped: false };
      }
      if (options.stopAtBoundary) return { out: data.subarray(0, pos), stopped: true };
      if (pos === data.length) return { out: data, stopped: false };
      const header = parseFrameHeader(data, pos);
      if (header === undefined) {
        this.pending = Buffer.from(data.subarray(pos));
        return { out: data.subarray(0, pos), stopped: false };
      }
      if (options.accept && !options.accept(header)) return { out: data.subarray(0, pos), stopped: true };
      pos += header.size;
      this.remaining = header.length;
    }
  }
}

/**
 * Refuses a data message (all its fragments together) larger than `maxBytes`, from its headers alone:
 * the payload is never buffered.
 */
export class MessageLimit {
  private messageBytes = 0;

  constructor(private readonly maxBytes: number) {}

  accept(header: FrameHeader): boolean {
    if (header.opcode >= OPCODE.close) return true;
    this.messageBytes =
      header.opcode === OPCODE.continuation ? this.messageBytes + header.length : header.length;
    if (this.messageBytes > this.maxBytes) return false;
    if (header.fin) this.messageBytes = 0;
    return true;
  }
}

/** A close frame; `masked` for frames a client sends (RFC 6455 section 5.3). */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > 123) text = text.subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  const head = Buffer.from([0x80 | OPCODE.close, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (key[i % 4] ?? 0);
  return Buffer.concat([head, key, payload]);
}
