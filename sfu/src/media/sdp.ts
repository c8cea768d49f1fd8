// Small SDP edits the SFU makes on purpose. Pure string functions, unit-tested.

const EOL = /\r?\n/;

function lines(sdp: string): string[] {
  const out = sdp.split(EOL);
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * Removes transport-cc feedback and its header extension from a publisher's offer, so that the
 * publisher's congestion control follows our REMB (werift's TWCC feedback made Chromium's
 * estimate worse when measured here).
 */
export function stripTransportCc(sdp: string): string {
  const out = lines(sdp).filter(
    (l) =>
      !/^a=rtcp-fb:\S+ transport-cc/.test(l) &&
      !/^a=extmap:\d+(\/\w+)? http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/.test(
        l,
      ),
  );
  return out.join('\r\n') + '\r\n';
}

/**
 * Adds x-google-start-bitrate (kbps) to each video codec's fmtp in an answer, so that Chromium /
 * libwebrtc starts its estimate there instead of ~300 kbps and brings up upper simulcast layers
 * at once. Codecs without an fmtp line get one.
 */
export function addStartBitrate(sdp: string, kbps: number): string {
  const src = lines(sdp);
  const out: string[] = [];
  let inVideo = false;
  const withFmtp = new Set<string>();
  for (const l of src) {
    const m = /^a=fmtp:(\d+) /.exec(l);
    if (m) withFmtp.add(m[1]!);
  }
  for (const l of src) {
    if (l.startsWith('m=')) inVideo = l.startsWith('m=video');
    if (inVideo) {
      const fm = /^a=fmtp:(\d+) (.*)$/.exec(l);
      if (fm && !fm[2]!.includes('apt=') && !fm[2]!.includes('x-google-start-bitrate')) {
        out.push(`${l};x-google-start-bitrate=${kbps}`);
        continue;
      }
      out.push(l);
      const rm = /^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\//i.exec(l);
      if (rm && !withFmtp.has(rm[1]!)) out.push(`a=fmtp:${rm[1]!} x-google-start-bitrate=${kbps}`);
      continue;
    }
    out.push(l);
  }
  return out.join('\r\n') + '\r\n';
}

/** Cheap structural check before handing an SDP to the stack: version line and an m-line. */
export function looksLikeSdp(sdp: unknown): sdp is string {
  return typeof sdp === 'string' && sdp.length < 256 * 1024 && /^v=0\r?\n/.test(sdp) && /\r?\nm=/.test(sdp);
}
