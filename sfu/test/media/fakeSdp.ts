// The few SDP facts the fake transport and the tests look at: media sections with their mid, kind and
// direction. Not a parser for real SDP; the werift transport and its acceptance tests cover that.
import type { MediaKind } from '../../src/media/transport.js';

export interface OfferedSection {
  mid: string;
  kind: MediaKind;
  /** sendonly / recvonly / sendrecv / inactive, from the offerer's side; port 0 means rejected. */
  direction: string;
}

/** Media sections of an SDP: mid, kind, direction (port 0 counts as inactive). */
export function sdpSections(sdp: string): OfferedSection[] {
  const out: OfferedSection[] = [];
  for (const block of sdp.split(/\r?\nm=/).slice(1)) {
    const kind: MediaKind = block.startsWith('audio') ? 'audio' : 'video';
    const port = /^\w+ (\d+)/.exec(block)?.[1];
    const mid = /\r?\na=mid:(\S+)/.exec(block)?.[1] ?? '';
    const dir = /\r?\na=(sendonly|recvonly|sendrecv|inactive)/.exec(block)?.[1] ?? 'sendrecv';
    out.push({ mid, kind, direction: port === '0' ? 'inactive' : dir });
  }
  return out;
}

/** A client's publisher offer with one m-line per entry (the client sends on each unless inactive). */
export function publisherOffer(sections: { mid: string; kind: MediaKind; inactive?: boolean }[]): string {
  const media = sections.map(
    (s) =>
      `m=${s.kind} 9 UDP/TLS/RTP/SAVPF ${s.kind === 'video' ? 96 : 111}\r\na=mid:${s.mid}\r\n` +
      `a=${s.inactive ? 'inactive' : 'sendonly'}\r\n`,
  );
  return `v=0\r\no=- 3 1 IN IP4 127.0.0.1\r\ns=-\r\n${media.join('')}`;
}

/** Any answer a client would send back; the fake checks state, not content. */
export const CLIENT_ANSWER = 'v=0\r\no=- 4 1 IN IP4 127.0.0.1\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
