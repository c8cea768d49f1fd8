// A small SDP reader (RFC 8866) for the ndc transport. The SFU writes every SDP a client sees
// itself and uses libdatachannel only for ICE, DTLS and SRTP, so it reads what it needs from the
// client's offers and answers: media sections, directions, codecs, header extensions, simulcast
// rids, and the transport attributes of the bundle (RFC 8843).
import { SdpRejectedError } from '../errors.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpMedia {
  kind: string;
  port: number;
  proto: string;
  formats: string[];
  mid: string;
  direction: Direction;
  /** Attribute lines without the leading "a=". */
  attrs: string[];
}

export interface SdpSession {
  attrs: string[];
  media: SdpMedia[];
}

/** ICE and DTLS parameters of one side of the bundled transport. */
export interface TransportParams {
  ufrag: string;
  pwd: string;
  /** "sha-256 AB:CD:..." lines (without "fingerprint:"). */
  fingerprints: string[];
  setup: string;
  /** Candidate attributes ("candidate:..."), possibly none with trickle ICE. */
  candidates: string[];
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** Splits an SDP into session attributes and media sections; throws SdpRejectedError on garbage. */
export function parseSdp(sdp: string): SdpSession {
  const session: SdpSession = { attrs: [], media: [] };
  let current: SdpMedia | null = null;
  let sessionDirection: Direction = 'sendrecv';
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.length === 0) continue;
    if (line.length < 2 || line[1] !== '=')
      throw new SdpRejectedError(`malformed SDP line "${line.slice(0, 40)}"`);
    const type = line[0];
    const value = line.slice(2);
    if (type === 'm') {
      const parts = value.split(' ');
      const port = Number(parts[1]);
      if (parts.length < 4 || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw new SdpRejectedError(`malformed m-line "${line.slice(0, 60)}"`);
      }
      current = {
        kind: parts[0]!,
        port,
        proto: parts[2]!,
        formats: parts.slice(3),
        mid: '',
        direction: sessionDirection,
        attrs: [],
      };
      session.media.push(current);
      continue;
    }
    if (type !== 'a') continue;
    if (DIRECTIONS.has(value)) {
      if (current) current.direction = value as Direction;
      else sessionDirection = value as Direction;
      continue;
    }
    if (current) {
      if (value.startsWith('mid:')) current.mid = value.slice(4).trim();
      current.attrs.push(value);
    } else session.attrs.push(value);
  }
  if (session.media.length === 0) throw new SdpRejectedError('SDP has no media section');
  return session;
}

/** Values of attribute `name` ("name:value" lines) in a list. */
export function attrValues(attrs: readonly string[], name: string): string[] {
  const prefix = `${name}:`;
  const out: string[] = [];
  for (const a of attrs) if (a.startsWith(prefix)) out.push(a.slice(prefix.length).trim());
  return out;
}

export function attrValue(attrs: readonly string[], name: string): string | undefined {
  return attrValues(attrs, name)[0];
}

/** The mids of the first BUNDLE group (RFC 8843 section 7), empty without one. */
export function bundleMids(s: SdpSession): string[] {
  for (const g of attrValues(s.attrs, 'group')) {
    const parts = g.split(/\s+/);
    if (parts[0] === 'BUNDLE') return parts.slice(1);
  }
  return [];
}

/**
 * Transport parameters of the bundle: taken from the bundle tag's media section (the first mid of
 * the BUNDLE group, or the first section with a port) with session-level attributes as fallback.
 */
export function transportOf(s: SdpSession): TransportParams {
  const bundle = bundleMids(s);
  const tag =
    s.media.find((m) => bundle.length > 0 && m.mid === bundle[0] && m.port !== 0) ??
    s.media.find((m) => m.port !== 0);
  const pick = (name: string): string | undefined =>
    (tag ? attrValue(tag.attrs, name) : undefined) ?? attrValue(s.attrs, name);
  const ufrag = pick('ice-ufrag');
  const pwd = pick('ice-pwd');
  const tagPrints = tag ? attrValues(tag.attrs, 'fingerprint') : [];
  const fingerprints = tagPrints.length > 0 ? tagPrints : attrValues(s.attrs, 'fingerprint');
  if (!ufrag || !pwd) throw new SdpRejectedError('SDP has no ICE credentials (ice-ufrag / ice-pwd)');
  if (fingerprints.length === 0) throw new SdpRejectedError('SDP has no DTLS fingerprint');
  if (!/^[\x21-\x7e]{1,256}$/.test(ufrag) || !/^[\x21-\x7e]{1,256}$/.test(pwd)) {
    throw new SdpRejectedError('SDP has malformed ICE credentials');
  }
  const candidates = tag ? tag.attrs.filter((a) => a.startsWith('candidate:')) : [];
  return { ufrag, pwd, fingerprints, setup: pick('setup') ?? 'actpass', candidates };
}

/** Extension URI -> id map of one media section (RFC 8285 section 5). */
export function extmapOf(m: SdpMedia): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of attrValues(m.attrs, 'extmap')) {
    const match = /^(\d+)(?:\/\w+)?\s+(\S+)/.exec(v);
    if (!match) continue;
    const id = Number(match[1]);
    if (id >= 1 && id <= 255) out.set(match[2]!, id);
  }
  return out;
}

/** Payload type of the first format whose rtpmap is `encoding` (case-insensitive), -1 when none. */
export function findPayloadType(m: SdpMedia, encoding: string, clockRate: number): number {
  const want = encoding.toLowerCase();
  const maps = new Map<string, string>();
  for (const v of attrValues(m.attrs, 'rtpmap')) {
    const match = /^(\d+)\s+([^/\s]+)\/(\d+)/.exec(v);
    if (match) maps.set(match[1]!, `${match[2]!.toLowerCase()}/${match[3]}`);
  }
  for (const f of m.formats) {
    if (maps.get(f) === `${want}/${clockRate}`) return Number(f);
  }
  return -1;
}

/** The fmtp parameters of a payload type, or undefined. */
export function fmtpOf(m: SdpMedia, pt: number): string | undefined {
  for (const v of attrValues(m.attrs, 'fmtp')) {
    const match = /^(\d+)\s+(.*)$/.exec(v);
    if (match && Number(match[1]) === pt) return match[2]!.trim();
  }
  return undefined;
}

/** rtcp-fb values offered for a payload type (or for all with "*"). */
export function feedbackOf(m: SdpMedia, pt: number): string[] {
  const out: string[] = [];
  for (const v of attrValues(m.attrs, 'rtcp-fb')) {
    const match = /^(\d+|\*)\s+(.+)$/.exec(v);
    if (match && (match[1] === '*' || Number(match[1]) === pt)) out.push(match[2]!.trim());
  }
  return out;
}

/** Simulcast rids this section sends (RFC 8851 a=rid:<id> send), in SDP order. */
export function sendRids(m: SdpMedia): string[] {
  const out: string[] = [];
  for (const v of attrValues(m.attrs, 'rid')) {
    const match = /^([A-Za-z0-9_-]{1,32})\s+send\b/.exec(v);
    if (match) out.push(match[1]!);
  }
  return out;
}

/** SSRCs declared with a=ssrc (RFC 5576), in order, without duplicates. */
export function declaredSsrcs(m: SdpMedia): number[] {
  const out: number[] = [];
  for (const v of attrValues(m.attrs, 'ssrc')) {
    const n = Number(/^(\d+)/.exec(v)?.[1]);
    if (Number.isInteger(n) && n >= 0 && n <= 0xffffffff && !out.includes(n)) out.push(n);
  }
  return out;
}

/** SSRCs that repair others (a=ssrc-group:FID primary rtx), RFC 5576 section 4.2 / RFC 4588. */
export function repairSsrcs(m: SdpMedia): Set<number> {
  const out = new Set<number>();
  for (const v of attrValues(m.attrs, 'ssrc-group')) {
    const parts = v.split(/\s+/);
    if (parts[0] === 'FID') for (const p of parts.slice(2)) out.add(Number(p));
  }
  return out;
}
