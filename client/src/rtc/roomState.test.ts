import { TrackSource, type ParticipantInfo } from '@origo/proto/signal';
import { describe, expect, it } from 'vitest';
import { participantInfo as person, trackInfo as track } from './signalFixtures.js';
import {
  applySpeakers,
  applyTracksChanged,
  hostLeftNotice,
  initialRoomState,
  removeParticipant,
  setParticipants,
  unsubscribedTracks,
  upsertParticipant,
  type RoomState,
} from './roomState.js';

function fresh(): RoomState {
  return initialRoomState(null, null);
}

describe('room state', () => {
  it('lists the people present and the tracks to subscribe to', () => {
    const s = fresh();
    setParticipants(s, [person('a', [track('t1', 'a', TrackSource.TRACK_SOURCE_CAMERA)]), person('b')]);
    expect(Object.keys(s.participants)).toEqual(['a', 'b']);
    expect(unsubscribedTracks(s, new Set())).toEqual(['t1']);
    expect(unsubscribedTracks(s, new Set(['t1']))).toEqual([]);
  });

  it('keeps a received track bound to the latest info when its mute state changes', () => {
    const s = fresh();
    setParticipants(s, [person('a', [track('t1', 'a', TrackSource.TRACK_SOURCE_MICROPHONE)])]);
    s.tracks['t1'] = { info: track('t1', 'a', TrackSource.TRACK_SOURCE_MICROPHONE), stream: null };
    applyTracksChanged(s, [track('t1', 'a', TrackSource.TRACK_SOURCE_MICROPHONE, true)], []);
    expect(s.participants['a']!.tracks[0]!.muted).toBe(true);
    expect(s.tracks['t1']!.info.muted).toBe(true);
  });

  it('adds tracks published later and drops removed ones everywhere', () => {
    const s = fresh();
    setParticipants(s, [person('a')]);
    applyTracksChanged(s, [track('scr', 'a', TrackSource.TRACK_SOURCE_SCREEN_SHARE)], []);
    expect(s.participants['a']!.tracks.map((t) => t.sid)).toEqual(['scr']);
    s.tracks['scr'] = { info: track('scr', 'a', TrackSource.TRACK_SOURCE_SCREEN_SHARE), stream: null };
    applyTracksChanged(s, [], ['scr']);
    expect(s.participants['a']!.tracks).toEqual([]);
    expect(s.tracks['scr']).toBeUndefined();
    // Tracks of people not in the room are ignored.
    applyTracksChanged(s, [track('x', 'ghost', TrackSource.TRACK_SOURCE_CAMERA)], []);
    expect(Object.keys(s.participants)).toEqual(['a']);
  });

  it('forgets everything about someone who left, and returns their track sids', () => {
    const s = fresh();
    setParticipants(s, [person('a', [track('t1', 'a', TrackSource.TRACK_SOURCE_CAMERA)]), person('b')]);
    s.tracks['t1'] = { info: track('t1', 'a', TrackSource.TRACK_SOURCE_CAMERA), stream: null };
    applySpeakers(s, [{ participantSid: 'a', level: 0.8, active: true }]);
    expect(s.activeSpeaker).toBe('a');
    expect(removeParticipant(s, 'a')).toEqual(['t1']);
    expect(s.participants['a']).toBeUndefined();
    expect(s.tracks['t1']).toBeUndefined();
    expect(s.speaking['a']).toBeUndefined();
    expect(s.activeSpeaker).toBeNull();
  });

  it('replacing the list (after a resume) removes those who left meanwhile', () => {
    const s = fresh();
    setParticipants(s, [person('a', [track('t1', 'a', TrackSource.TRACK_SOURCE_CAMERA)]), person('b')]);
    s.tracks['t1'] = { info: track('t1', 'a', TrackSource.TRACK_SOURCE_CAMERA), stream: null };
    setParticipants(s, [person('b')]);
    expect(Object.keys(s.participants)).toEqual(['b']);
    expect(s.tracks['t1']).toBeUndefined();
  });

  it('keeps the last loudest speaker when everyone falls silent', () => {
    const s = fresh();
    upsertParticipant(s, person('a'));
    applySpeakers(s, [{ participantSid: 'a', level: 0.5, active: true }]);
    applySpeakers(s, []);
    expect(s.speaking).toEqual({});
    expect(s.activeSpeaker).toBe('a');
  });

  it('tells the others when the last host leaves, and only then', () => {
    const host = (sid: string): ParticipantInfo => ({ ...person(sid), name: `Host ${sid}`, isHost: true });
    const s = fresh();
    s.self = person('me');
    setParticipants(s, [host('h1'), person('g')]);
    expect(hostLeftNotice(s, 'g')).toBeNull();
    expect(hostLeftNotice(s, 'h1')).toBe('Host h1 (host) left the meeting. The meeting goes on.');
    upsertParticipant(s, host('h2'));
    expect(hostLeftNotice(s, 'h1')).toBeNull();
    // A host needs no telling; nor does anyone before the join answered.
    s.self = { ...person('me'), isHost: true };
    setParticipants(s, [host('h1')]);
    expect(hostLeftNotice(s, 'h1')).toBeNull();
    s.self = null;
    expect(hostLeftNotice(s, 'h1')).toBeNull();
    expect(hostLeftNotice(s, 'nobody')).toBeNull();
  });
});
