import { TrackKind, TrackSource, type ParticipantInfo } from '@origo/proto/signal';

// The microphone state the participants panel shows, in a module of its own so unit tests (under node,
// without the Solid JSX transform) can import it.

/** The microphone as the others see it: muted, live, or not published. */
export function micState(p: ParticipantInfo): 'muted' | 'live' | 'none' {
  const mic = p.tracks.find(
    (t) => t.kind === TrackKind.TRACK_KIND_AUDIO && t.source === TrackSource.TRACK_SOURCE_MICROPHONE,
  );
  return mic === undefined ? 'none' : mic.muted ? 'muted' : 'live';
}

/**
 * Whether a host is offered Mute for `p`: only a live microphone can be muted. Someone already muted (or
 * without a microphone) gets no Mute button; their row says Muted (or No microphone) instead.
 */
export function canMute(p: ParticipantInfo): boolean {
  return micState(p) === 'live';
}
