import { describe, expect, it } from 'vitest';
import { TrackKind, TrackSource, type ParticipantInfo, type TrackInfo } from '@origo/proto/signal';
import { buildTiles, chooseStage, type TileInput } from './tiles.js';

const track = (sid: string, owner: string, source: TrackSource, muted = false): TrackInfo => ({
  sid,
  participantSid: owner,
  kind:
    source === TrackSource.TRACK_SOURCE_MICROPHONE ? TrackKind.TRACK_KIND_AUDIO : TrackKind.TRACK_KIND_VIDEO,
  source,
  muted,
  width: 1280,
  height: 720,
  layers: [],
  mimeType: 'video/VP8',
});

const person = (sid: string, name: string, tracks: TrackInfo[], joinedAt = 1): ParticipantInfo => ({
  sid,
  identity: `id-${sid}`,
  name,
  state: 0,
  tracks,
  joinedAt,
  isHost: false,
  away: false,
});

const input = (over: Partial<TileInput<string>> = {}): TileInput<string> => ({
  selfName: 'Ann',
  selfSid: 'PA',
  micMuted: false,
  localVideo: 'local-cam',
  localScreen: null,
  participants: [],
  streamOf: () => null,
  ...over,
});

describe('tiles', () => {
  it('shows the remote camera as soon as its media arrives, and the avatar before', () => {
    const bea = person('PB', 'Bea', [
      track('TR_mic', 'PB', TrackSource.TRACK_SOURCE_MICROPHONE),
      track('TR_cam', 'PB', TrackSource.TRACK_SOURCE_CAMERA),
    ]);
    const before = buildTiles(input({ participants: [bea] }));
    expect(before[1]).toMatchObject({
      id: 'cam:PB',
      name: 'Bea',
      stream: null,
      trackSid: 'TR_cam',
      mic: 'live',
    });
    const media: Record<string, string> = { TR_cam: 'bea-cam' };
    const after = buildTiles(input({ participants: [bea], streamOf: (sid) => media[sid] ?? null }));
    expect(after[1]).toMatchObject({ id: 'cam:PB', stream: 'bea-cam', videoOff: false });
  });

  it('follows the track state: a muted microphone tags the tile, a camera turned off shows the avatar', () => {
    const bea = person('PB', 'Bea', [
      track('TR_mic', 'PB', TrackSource.TRACK_SOURCE_MICROPHONE, true),
      track('TR_cam', 'PB', TrackSource.TRACK_SOURCE_CAMERA, true),
    ]);
    expect(buildTiles(input({ participants: [bea], streamOf: () => 's' }))[1]).toMatchObject({
      mic: 'muted',
      videoOff: true,
    });
    // Nothing published yet: no false "muted" tag, and the avatar.
    expect(buildTiles(input({ participants: [person('PC', 'Cy', [])] }))[1]).toMatchObject({
      mic: 'none',
      videoOff: true,
      trackSid: null,
    });
    expect(buildTiles(input({ micMuted: true, localVideo: null }))[0]).toMatchObject({
      id: 'local',
      name: 'Ann (you)',
      mic: 'muted',
      videoOff: true,
    });
  });

  it('gives every participant one camera tile and every share its own tile, for 1 to 25 people', () => {
    for (let n = 0; n < 25; n++) {
      const people = Array.from({ length: n }, (_, i) =>
        person(`P${i}`, `Person ${i}`, [track(`TC${i}`, `P${i}`, TrackSource.TRACK_SOURCE_CAMERA)], i),
      );
      const tiles = buildTiles(input({ participants: people }));
      expect(tiles).toHaveLength(n + 1);
      expect(new Set(tiles.map((t) => t.id)).size).toBe(n + 1);
    }
    const presenter = person('PB', 'Bea', [
      track('TC', 'PB', TrackSource.TRACK_SOURCE_CAMERA),
      track('TS', 'PB', TrackSource.TRACK_SOURCE_SCREEN_SHARE),
    ]);
    const tiles = buildTiles(input({ participants: [presenter], localScreen: 'my-screen' }));
    expect(tiles.map((t) => t.id)).toEqual(['local', 'cam:PB', 'local:screen', 'screen:TS']);
    expect(tiles[3]).toMatchObject({ name: 'Bea, presentation', source: 'screen', trackSid: 'TS' });
  });

  it('orders people by when they joined', () => {
    const tiles = buildTiles(
      input({ participants: [person('P2', 'Late', [], 20), person('P1', 'Early', [], 10)] }),
    );
    expect(tiles.map((t) => t.name)).toEqual(['Ann (you)', 'Early', 'Late']);
  });
});

describe('stage', () => {
  const people = [
    person('PB', 'Bea', [track('TB', 'PB', TrackSource.TRACK_SOURCE_CAMERA)], 1),
    person('PC', 'Cy', [track('TC', 'PC', TrackSource.TRACK_SOURCE_CAMERA)], 2),
  ];
  const base = { pinned: null, speakerView: false, lastSpeaker: null };

  it('is empty in the grid, a remote presentation takes it, a pin overrides both', () => {
    const plain = buildTiles(input({ participants: people }));
    expect(chooseStage(plain, base)).toBeNull();
    const sharing = buildTiles(
      input({
        participants: [
          ...people,
          person('PD', 'Di', [track('TS', 'PD', TrackSource.TRACK_SOURCE_SCREEN_SHARE)], 3),
        ],
      }),
    );
    expect(chooseStage(sharing, base)).toBe('screen:TS');
    expect(chooseStage(sharing, { ...base, pinned: 'cam:PC' })).toBe('cam:PC');
    // A pin of someone who left is ignored.
    expect(chooseStage(plain, { ...base, pinned: 'cam:gone' })).toBeNull();
    // One's own presentation does not take one's own stage.
    expect(chooseStage(buildTiles(input({ participants: people, localScreen: 's' })), base)).toBeNull();
  });

  it('in speaker view shows the last speaker, or the first other person', () => {
    const tiles = buildTiles(input({ participants: people }));
    expect(chooseStage(tiles, { ...base, speakerView: true })).toBe('cam:PB');
    expect(chooseStage(tiles, { ...base, speakerView: true, lastSpeaker: 'PC' })).toBe('cam:PC');
    expect(chooseStage(buildTiles(input()), { ...base, speakerView: true })).toBeNull();
  });
});
