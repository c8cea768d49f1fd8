// STUN message codec (RFC 8489) with the attributes TURN needs (RFC 8656). Only what the TURN client
// and probe use; not a general STUN stack.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { crc32 } from 'node:zlib';

/** RFC 8489 section 5: fixed value in every message since RFC 5389. */
export const MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;

export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
} as const;
export type MethodValue = (typeof Method)[keyof typeof Method];

export const MessageClass = { Request: 0, Indication: 1, Success: 2, Error: 3 } as const;
export type MessageClassValue = (typeof MessageClass)[keyof typeof MessageClass];

export const Attr = {
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
  Fingerprint: 0x8028,
} as const;

export class StunFormatError extends Error {
  override readonly name = 'StunFormatError';
}

export interface TransportAddress {
  address: string;
  port: number;
}

export interface StunMessage {
  method: number;
  cls: MessageClassValue;
  transactionId: Buffer;
  attributes: Array<{ type: number; value: Buffer }>;
}

/** RFC 8489 section 5: the class bits C1 C0 sit at positions 8 and 4 between the method bits. */
export function messageType(method: number, cls: MessageClassValue): number {
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((cls & 1) << 4) |
    ((cls & 2) << 7)
  );
}

function splitType(type: number): { method: number; cls: MessageClassValue } {
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = (((type >> 4) & 1) | ((type >> 7) & 2)) as MessageClassValue;
  return { method, cls };
}

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

/** The long-term credential key (RFC 8489 section 9.2.2): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

export interface EncodeOptions {
  /** Adds MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 section 14.5) with this key. */
  integrityKey?: Buffer;
  /** Adds FINGERPRINT (RFC 8489 section 14.7). */
  fingerprint?: boolean;
}

export function encodeMessage(message: StunMessage, options: EncodeOptions = {}): Buffer {
  if (message.transactionId.length !== 12) throw new StunFormatError('transaction id must be 12 bytes');
  const parts: Buffer[] = [];
  for (const { type, value } of message.attributes) parts.push(attribute(type, value));
  let body = Buffer.concat(parts);
  const header = (length: number): Buffer => {
    const h = Buffer.alloc(HEADER_BYTES);
    h.writeUInt16BE(messageType(message.method, message.cls), 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(MAGIC_COOKIE, 4);
    message.transactionId.copy(h, 8);
    return h;
  };
  if (options.integrityKey) {
    // The HMAC covers the header with a length that already counts the 24-byte integrity attribute.
    const mac = createHmac('sha1', options.integrityKey)
      .update(Buffer.concat([header(body.length + 24), body]))
      .digest();
    body = Buffer.concat([body, attribute(Attr.MessageIntegrity, mac)]);
  }
  if (options.fingerprint) {
    const crc = (crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0;
    const value = Buffer.alloc(4);
    value.writeUInt32BE(crc, 0);
    body = Buffer.concat([body, attribute(Attr.Fingerprint, value)]);
  }
  return Buffer.concat([header(body.length), body]);
}

function attribute(type: number, value: Buffer): Buffer {
  const padded = Math.ceil(value.length / 4) * 4;
  const out = Buffer.alloc(4 + padded);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  value.copy(out, 4);
  return out;
}

/** True when the buffer starts like a STUN message (RFC 8489 section 5: two zero bits, the cookie). */
export function isStunMessage(buf: Buffer): boolean {
  return buf.length >= HEADER_BYTES && (buf[0]! & 0xc0) === 0 && buf.readUInt32BE(4) === MAGIC_COOKIE;
}

export function decodeMessage(buf: Buffer): StunMessage {
  if (!isStunMessage(buf)) throw new StunFormatError('not a STUN message');
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER_BYTES + length > buf.length) throw new StunFormatError('bad message length');
  const { method, cls } = splitType(buf.readUInt16BE(0));
  const attributes: StunMessage['attributes'] = [];
  let offset = HEADER_BYTES;
  const end = HEADER_BYTES + length;
  while (offset + 4 <= end) {
    const type = buf.readUInt16BE(offset);
    const size = buf.readUInt16BE(offset + 2);
    if (offset + 4 + size > end) throw new StunFormatError('attribute runs past the message');
    attributes.push({ type, value: Buffer.from(buf.subarray(offset + 4, offset + 4 + size)) });
    offset += 4 + Math.ceil(size / 4) * 4;
  }
  return { method, cls, transactionId: Buffer.from(buf.subarray(8, 20)), attributes };
}

export function getAttribute(message: StunMessage, type: number): Buffer | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}

/** ERROR-CODE (RFC 8489 section 14.8): class * 100 + number, then a UTF-8 reason. */
export function readErrorCode(value: Buffer): { code: number; reason: string } {
  if (value.length < 4) throw new StunFormatError('ERROR-CODE too short');
  return { code: (value[2]! & 0x07) * 100 + value[3]!, reason: value.subarray(4).toString('utf8') };
}

/** XOR-*-ADDRESS (RFC 8489 section 14.2): port XOR the cookie's top half, address XOR cookie (+ txid). */
export function encodeXorAddress(addr: TransportAddress, transactionId: Buffer): Buffer {
  const ip = ipToBytes(addr.address);
  const out = Buffer.alloc(4 + ip.length);
  out[1] = ip.length === 4 ? 0x01 : 0x02;
  out.writeUInt16BE(addr.port ^ (MAGIC_COOKIE >>> 16), 2);
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(mask, 4);
  for (let i = 0; i < ip.length; i++) out[4 + i] = ip[i]! ^ mask[i]!;
  return out;
}

export function decodeXorAddress(value: Buffer, transactionId: Buffer): TransportAddress {
  const family = value[1];
  const size = family === 0x01 ? 4 : family === 0x02 ? 16 : 0;
  if (size === 0 || value.length < 4 + size) throw new StunFormatError('bad address attribute');
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(mask, 4);
  const ip = Buffer.alloc(size);
  for (let i = 0; i < size; i++) ip[i] = value[4 + i]! ^ mask[i]!;
  return { address: bytesToIp(ip), port: value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16) };
}

/** Parses IPv4 and IPv6 text (including `::` and a trailing dotted IPv4, as in ::ffff:127.0.0.1). */
export function ipToBytes(address: string): Buffer {
  const kind = isIP(address);
  if (kind === 4) return Buffer.from(address.split('.').map(Number));
  if (kind !== 6) throw new StunFormatError(`not an IP address: ${address}`);
  // A dotted IPv4 tail becomes its two hex groups, so the rest is plain hex groups around one `::`.
  const text = address.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_m, a: string, b: string, c: string, d: string) =>
      [((Number(a) << 8) | Number(b)).toString(16), ((Number(c) << 8) | Number(d)).toString(16)].join(':'),
  );
  const [head = '', rest] = text.split('::');
  const hex = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const left = hex(head);
  const right = rest === undefined ? [] : hex(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<number>(zeros).fill(0), ...right];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function bytesToIp(ip: Buffer): string {
  if (ip.length === 4) return [...ip].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(ip.readUInt16BE(i).toString(16));
  return groups.join(':');
}
