import {
  ParticipantState,
  TrackKind,
  TrackSource,
  type ParticipantInfo,
  type TrackInfo,
} from '@origo/proto/signal';
import { describe, expect, it } from 'vitest';
import { canMute, micState } from './participantMic.js';

function track(source: TrackSource, muted: boolean): TrackInfo {
  const audio = source === TrackSource.TRACK_SOURCE_MICROPHONE;
  return {
    sid: `t-${source}`,
    participantSid: 'p1',
    kind: audio ? TrackKind.TRACK_KIND_AUDIO : TrackKind.TRACK_KIND_VIDEO,
    source,
    muted,
    width: audio ? 0 : 1280,
    height: audio ? 0 : 720,
    layers: [],
    mimeType: audio ? 'audio/opus' : 'video/VP8',
  };
}

function person(tracks: TrackInfo[]): ParticipantInfo {
  return {
    sid: 'p1',
    identity: 'id-p1',
    name: 'Gil Guest',
    state: ParticipantState.PARTICIPANT_STATE_ACTIVE,
    tracks,
    joinedAt: 1,
    isHost: false,
    away: false,
  };
}

describe('participants panel: Mute for a host', () => {
  it('offers Mute only for a live microphone', () => {
    const live = person([track(TrackSource.TRACK_SOURCE_MICROPHONE, false)]);
    expect(micState(live)).toBe('live');
    expect(canMute(live)).toBe(true);
  });

  it('does not offer Mute to someone already muted (the row says Muted)', () => {
    const muted = person([track(TrackSource.TRACK_SOURCE_MICROPHONE, true)]);
    expect(micState(muted)).toBe('muted');
    expect(canMute(muted)).toBe(false);
  });

  it('does not offer Mute to someone without a microphone, whatever their camera does', () => {
    const none = person([track(TrackSource.TRACK_SOURCE_CAMERA, false)]);
    expect(micState(none)).toBe('none');
    expect(canMute(none)).toBe(false);
  });
});
