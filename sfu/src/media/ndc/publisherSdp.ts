// The SFU's answer to a publisher's offer (RFC 8829 section 5.3): each audio or video section that
// sends one of the codecs the SFU forwards is accepted receive-only with the header extensions
// the SFU reads and the offered simulcast rids; everything else is rejected or made inactive.
// Transport-wide congestion control is not accepted: the publisher follows our REMB instead
// (the same choice as the werift transport).
import {
  attrValues,
  extmapOf,
  feedbackOf,
  findPayloadType,
  fmtpOf,
  sendRids,
  declaredSsrcs,
  repairSsrcs,
  type SdpMedia,
  type SdpSession,
  type TransportParams,
} from './sdpModel.js';
import { joinSdp, sessionLines, transportLines } from './sdpWrite.js';
import type { MediaKind } from '../transport.js';

export const URI_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const URI_RID = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
export const URI_AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
export const URI_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';

const ACCEPTED_EXTENSIONS: Record<MediaKind, string[]> = {
  video: [URI_MID, URI_RID, URI_ABS_SEND_TIME],
  audio: [URI_MID, URI_AUDIO_LEVEL],
};
const ACCEPTED_FEEDBACK = new Set(['nack', 'nack pli', 'ccm fir', 'goog-remb']);
const CODECS: Record<MediaKind, { encoding: string; clockRate: number; channels?: number }> = {
  video: { encoding: 'VP8', clockRate: 90000 },
  audio: { encoding: 'opus', clockRate: 48000, channels: 2 },
};

/** What the SFU accepted of one publisher section; the demultiplexer works from this. */
export interface PublishedSection {
  mid: string;
  kind: MediaKind;
  payloadType: number;
  clockRate: number;
  channels: number | undefined;
  fmtp: string | undefined;
  /** Extension ids the publisher uses (0 when not negotiated). */
  midExtId: number;
  ridExtId: number;
  audioLevelExtId: number;
  rids: string[];
  /** SSRCs the offer declares for its media streams (not for RTX). */
  ssrcs: number[];
  /** The section sends to us after this offer. */
  sending: boolean;
}

function accept(m: SdpMedia): PublishedSection | null {
  if (m.port === 0 || (m.kind !== 'audio' && m.kind !== 'video') || m.mid === '') return null;
  if (!/RTP\/S?AVPF?/.test(m.proto)) return null;
  const kind = m.kind;
  const codec = CODECS[kind];
  const pt = findPayloadType(m, codec.encoding, codec.clockRate);
  if (pt < 0) return null;
  const ext = extmapOf(m);
  const repairs = repairSsrcs(m);
  return {
    mid: m.mid,
    kind,
    payloadType: pt,
    clockRate: codec.clockRate,
    channels: codec.channels,
    fmtp: fmtpOf(m, pt),
    midExtId: ext.get(URI_MID) ?? 0,
    ridExtId: kind === 'video' ? (ext.get(URI_RID) ?? 0) : 0,
    audioLevelExtId: kind === 'audio' ? (ext.get(URI_AUDIO_LEVEL) ?? 0) : 0,
    rids: kind === 'video' && ext.has(URI_RID) ? sendRids(m) : [],
    ssrcs: declaredSsrcs(m).filter((s) => !repairs.has(s)),
    sending: m.direction === 'sendonly' || m.direction === 'sendrecv',
  };
}

function acceptedLines(m: SdpMedia, s: PublishedSection, startKbps: number): string[] {
  const out = [`a=mid:${s.mid}`];
  const ext = extmapOf(m);
  for (const uri of ACCEPTED_EXTENSIONS[s.kind]) {
    const id = ext.get(uri);
    if (id !== undefined) out.push(`a=extmap:${id} ${uri}`);
  }
  out.push(s.sending ? 'a=recvonly' : 'a=inactive', 'a=rtcp-mux');
  if (m.attrs.includes('rtcp-rsize')) out.push('a=rtcp-rsize');
  const pt = s.payloadType;
  out.push(`a=rtpmap:${pt} ${CODECS[s.kind].encoding}/${s.clockRate}${s.channels ? `/${s.channels}` : ''}`);
  for (const fb of feedbackOf(m, pt)) if (ACCEPTED_FEEDBACK.has(fb)) out.push(`a=rtcp-fb:${pt} ${fb}`);
  if (s.kind === 'video') {
    // x-google-start-bitrate: libwebrtc starts its estimate here instead of ~300 kbps, so upper
    // simulcast layers come up at once (the same lever as the werift transport's answer).
    const params = (s.fmtp ?? '')
      .split(';')
      .filter((p) => p !== '' && !p.startsWith('x-google-start-bitrate'));
    params.push(`x-google-start-bitrate=${startKbps}`);
    out.push(`a=fmtp:${pt} ${params.join(';')}`);
  } else if (s.fmtp) out.push(`a=fmtp:${pt} ${s.fmtp}`);
  if (s.rids.length > 0) {
    for (const r of s.rids) out.push(`a=rid:${r} recv`);
    const sim = attrValues(m.attrs, 'simulcast')[0];
    const list = sim ? /^send\s+(\S+)/.exec(sim)?.[1] : undefined;
    out.push(`a=simulcast:recv ${list ?? s.rids.join(';')}`);
  }
  return out;
}

export interface PublisherAnswer {
  sdp: string;
  sections: PublishedSection[];
}

/** Builds the answer for `offer` with our transport parameters (candidates go in the first section). */
export function buildPublisherAnswer(
  offer: SdpSession,
  local: TransportParams,
  sessionId: string,
  version: number,
  startKbps: number,
): PublisherAnswer {
  const sections: PublishedSection[] = [];
  const accepted = offer.media.map((m) => accept(m));
  const bundle = accepted.filter((s): s is PublishedSection => s !== null).map((s) => s.mid);
  const lines = sessionLines(sessionId, version, bundle);
  let first = true;
  offer.media.forEach((m, i) => {
    const s = accepted[i];
    if (!s) {
      lines.push(`m=${m.kind} 0 ${m.proto} ${m.formats.join(' ')}`, 'c=IN IP4 0.0.0.0');
      if (m.mid) lines.push(`a=mid:${m.mid}`);
      lines.push('a=inactive');
      return;
    }
    lines.push(`m=${s.kind} 9 ${m.proto} ${s.payloadType}`, ...transportLines(local, first));
    first = false;
    lines.push(...acceptedLines(m, s, startKbps));
    sections.push(s);
  });
  return { sdp: joinSdp(lines), sections };
}
