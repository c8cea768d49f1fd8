// Signal-protocol records for unit tests: a track and a participant with the fields the client reads.
import {
  ParticipantState,
  TrackKind,
  TrackSource,
  type ParticipantInfo,
  type TrackInfo,
} from '@origo/proto/signal';

/** A published track: video (1280x720 VP8) for a camera or screen, audio (Opus) otherwise. */
export function trackInfo(
  sid: string,
  participantSid: string,
  source: TrackSource,
  muted = false,
): TrackInfo {
  const video =
    source === TrackSource.TRACK_SOURCE_CAMERA || source === TrackSource.TRACK_SOURCE_SCREEN_SHARE;
  return {
    sid,
    participantSid,
    kind: video ? TrackKind.TRACK_KIND_VIDEO : TrackKind.TRACK_KIND_AUDIO,
    source,
    muted,
    width: video ? 1280 : 0,
    height: video ? 720 : 0,
    layers: [],
    mimeType: video ? 'video/VP8' : 'audio/opus',
  };
}

/** Someone present, named by their sid unless `name` says otherwise. */
export function participantInfo(sid: string, tracks: TrackInfo[] = [], name = sid): ParticipantInfo {
  return {
    sid,
    identity: `id-${sid}`,
    name,
    state: ParticipantState.PARTICIPANT_STATE_ACTIVE,
    tracks,
    joinedAt: 1,
    isHost: false,
    away: false,
  };
}
