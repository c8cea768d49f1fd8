// The SFU's offers to a subscriber (RFC 8829 section 5.2): one send-only section per forwarded
// track with its own SSRC and msid (RFC 8830), inactive sections kept for reuse (m-lines are never
// removed once offered), and the subscriber's answer read back per section.
import type { MediaKind } from '../transport.js';
import { URI_ABS_SEND_TIME, URI_MID } from './publisherSdp.js';
import { extmapOf, type SdpSession, type TransportParams } from './sdpModel.js';
import { joinSdp, sessionLines, transportLines } from './sdpWrite.js';

/** Extension ids the SFU offers; the answer may drop them. */
export const OFFER_MID_EXT_ID = 1;
export const OFFER_AST_EXT_ID = 2;

export interface OfferedSection {
  mid: string;
  kind: MediaKind;
  payloadType: number;
  /** "VP8/90000", "opus/48000/2". */
  rtpmap: string;
  fmtp: string | undefined;
  /** 0 for an inactive (spare) section. */
  ssrc: number;
  streamId: string;
  trackId: string;
}

export function buildSubscriberOffer(
  sections: readonly OfferedSection[],
  local: TransportParams,
  sessionId: string,
  version: number,
  cname: string,
): string {
  const lines = sessionLines(
    sessionId,
    version,
    sections.map((s) => s.mid),
  );
  sections.forEach((s, i) => {
    const pt = s.payloadType;
    lines.push(`m=${s.kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, ...transportLines(local, i === 0));
    lines.push(`a=mid:${s.mid}`, `a=extmap:${OFFER_MID_EXT_ID} ${URI_MID}`);
    if (s.kind === 'video') lines.push(`a=extmap:${OFFER_AST_EXT_ID} ${URI_ABS_SEND_TIME}`);
    const active = s.ssrc !== 0;
    lines.push(active ? 'a=sendonly' : 'a=inactive');
    if (active) lines.push(`a=msid:${s.streamId} ${s.trackId}`);
    lines.push('a=rtcp-mux', 'a=rtcp-rsize', `a=rtpmap:${pt} ${s.rtpmap}`);
    if (s.kind === 'video') {
      for (const fb of ['nack', 'nack pli', 'ccm fir', 'goog-remb']) lines.push(`a=rtcp-fb:${pt} ${fb}`);
    }
    if (s.fmtp) lines.push(`a=fmtp:${pt} ${s.fmtp}`);
    if (active) {
      lines.push(`a=ssrc:${s.ssrc} cname:${cname}`, `a=ssrc:${s.ssrc} msid:${s.streamId} ${s.trackId}`);
    }
  });
  return joinSdp(lines);
}

/** What the subscriber's answer accepted for one of our sections. */
export interface AnsweredSection {
  accepted: boolean;
  midExtId: number;
  absSendTimeExtId: number;
}

/**
 * Reads the answer against the sections we offered: same count and mids in the same order
 * (RFC 8829 5.3.1), otherwise it is not an answer to our offer. Returns null in that case.
 */
export function readSubscriberAnswer(
  answer: SdpSession,
  offered: readonly OfferedSection[],
): AnsweredSection[] | null {
  if (answer.media.length !== offered.length) return null;
  const out: AnsweredSection[] = [];
  for (let i = 0; i < offered.length; i++) {
    const m = answer.media[i]!;
    const o = offered[i]!;
    if (m.mid !== o.mid || m.kind !== o.kind) return null;
    const ext = extmapOf(m);
    out.push({
      accepted: m.port !== 0 && (m.direction === 'recvonly' || m.direction === 'sendrecv'),
      midExtId: ext.get(URI_MID) ?? 0,
      absSendTimeExtId: ext.get(URI_ABS_SEND_TIME) ?? 0,
    });
  }
  return out;
}
