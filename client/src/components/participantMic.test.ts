import { TrackSource, type TrackInfo } from '@origo/proto/signal';
import { describe, expect, it } from 'vitest';
import { participantInfo, trackInfo } from '../rtc/signalFixtures.js';
import { canMute, micState } from './participantMic.js';

const track = (source: TrackSource, muted: boolean) => trackInfo(`t-${source}`, 'p1', source, muted);
const person = (tracks: TrackInfo[]) => participantInfo('p1', tracks, 'Gil Guest');

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
