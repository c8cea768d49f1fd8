// Reads the media sections of a publisher offer: which m-line (mid) carries which client track (the
// msid track id, RFC 8830 section 2), whether it sends, and its simulcast rids (RFC 8853). The worker
// needs this to give each announced track its id before any media arrives.

export interface OfferMedia {
  mid: string;
  kind: 'audio' | 'video';
  /** msid track id (the MediaStreamTrack id); empty when the m-line has no msid. */
  trackId: string;
  /** True when the section sends media to us (sendonly or sendrecv, port not 0). */
  sending: boolean;
  /** Simulcast rids with direction send, in SDP order. */
  rids: string[];
}

/** Parses the m-sections of an SDP; lines it does not understand are ignored. Never throws. */
export function parseOfferMedia(sdp: string): OfferMedia[] {
  const out: OfferMedia[] = [];
  let current: (OfferMedia & { direction: string; port: number }) | undefined;
  let sessionDirection = 'sendrecv';
  const finish = (): void => {
    if (!current) return;
    const { direction, port, ...media } = current;
    media.sending = port !== 0 && (direction === 'sendonly' || direction === 'sendrecv');
    out.push(media);
    current = undefined;
  };
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.startsWith('m=')) {
      finish();
      const m = /^m=(\w+) (\d+)/.exec(line);
      const kind = m?.[1];
      current = {
        mid: '',
        kind: kind === 'audio' ? 'audio' : 'video',
        trackId: '',
        sending: false,
        rids: [],
        direction: sessionDirection,
        port: Number(m?.[2] ?? 0),
      };
      if (kind !== 'audio' && kind !== 'video') current.port = 0;
      continue;
    }
    if (!current) {
      if (/^a=(sendonly|recvonly|sendrecv|inactive)$/.test(line)) sessionDirection = line.slice(2);
      continue;
    }
    if (line.startsWith('a=mid:')) current.mid = line.slice(6).trim();
    else if (/^a=(sendonly|recvonly|sendrecv|inactive)$/.test(line)) current.direction = line.slice(2);
    else if (line.startsWith('a=msid:')) {
      const parts = line.slice(7).trim().split(/\s+/);
      current.trackId = parts[1] ?? '';
    } else if (line.startsWith('a=rid:')) {
      const m = /^a=rid:(\S+) (send|recv)/.exec(line);
      if (m?.[1] && m[2] === 'send') current.rids.push(m[1]);
    }
  }
  finish();
  return out;
}
