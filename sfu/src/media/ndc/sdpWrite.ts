// Pieces of the SDPs the ndc transport writes: session header, the bundle's transport attributes,
// and the one-section descriptions libdatachannel itself negotiates. libdatachannel demultiplexes
// by declared SSRC only when a connection has several tracks and drops what it cannot match
// (Chromium's rid simulcast declares none), so it is given a single media section and delivers
// every packet and RTCP compound of the bundle to that one track; the SFU demultiplexes itself.
import type { TransportParams } from './sdpModel.js';

/** The mid of the single section libdatachannel negotiates; never seen by clients. */
export const INTERNAL_MID = '0';

export function sessionLines(sessionId: string, version: number, bundle: readonly string[]): string[] {
  const out = ['v=0', `o=- ${sessionId} ${version} IN IP4 0.0.0.0`, 's=-', 't=0 0'];
  if (bundle.length > 0) out.push(`a=group:BUNDLE ${bundle.join(' ')}`);
  out.push('a=msid-semantic: WMS *');
  return out;
}

/** ICE and DTLS attributes of a media section (RFC 8839 section 5, RFC 8842 section 5). */
export function transportLines(t: TransportParams, withCandidates: boolean): string[] {
  const out = [
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${t.ufrag}`,
    `a=ice-pwd:${t.pwd}`,
    'a=ice-options:trickle',
  ];
  for (const f of t.fingerprints) out.push(`a=fingerprint:${f}`);
  out.push(`a=setup:${t.setup}`);
  if (withCandidates) for (const c of t.candidates) out.push(`a=${c}`);
  return out;
}

/**
 * The single-section description handed to libdatachannel as the remote side: the client's ICE
 * credentials, fingerprint, setup role and candidates, one VP8 section (the codec is irrelevant:
 * libdatachannel only moves the bytes).
 */
export function internalRemoteDescription(t: TransportParams, remoteSends: boolean): string {
  return (
    [
      ...sessionLines('1', 1, [INTERNAL_MID]),
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      ...transportLines(t, true),
      `a=mid:${INTERNAL_MID}`,
      remoteSends ? 'a=sendonly' : 'a=recvonly',
      'a=rtcp-mux',
      'a=rtpmap:96 VP8/90000',
    ].join('\r\n') + '\r\n'
  );
}

export function joinSdp(lines: readonly string[]): string {
  return lines.join('\r\n') + '\r\n';
}
