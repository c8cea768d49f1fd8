import { ConnectionQuality, TrackSource } from '@origo/proto/signal';
import { describe, expect, it } from 'vitest';
import { RoomStats } from './RoomStats.js';
import { initialRoomState, type RoomState } from './roomState.js';
import { participantInfo, trackInfo } from './signalFixtures.js';

/** One remote person with a microphone and a camera, both received. */
function room(micMuted: boolean, cameraMuted: boolean): RoomState {
  const s = initialRoomState(null, null);
  const mic = trackInfo('mic', 'p', TrackSource.TRACK_SOURCE_MICROPHONE, micMuted);
  const cam = trackInfo('cam', 'p', TrackSource.TRACK_SOURCE_CAMERA, cameraMuted);
  s.participants['p'] = participantInfo('p', [mic, cam], 'P');
  const stream = (id: string) => ({ getTracks: () => [{ id }] }) as unknown as MediaStream;
  s.tracks['mic'] = { info: mic, stream: stream('a1') };
  s.tracks['cam'] = { info: cam, stream: stream('v1') };
  return s;
}

/** A subscriber connection whose statistics say what each received track got so far. */
function connection(received: Record<string, number>): RTCPeerConnection {
  const report = Object.entries(received).map(([id, n]) => ({
    type: 'inbound-rtp',
    trackIdentifier: id,
    packetsReceived: n,
    packetsLost: 0,
  }));
  return { getStats: () => Promise.resolve(report) } as unknown as RTCPeerConnection;
}

/** What the tile reads after two polls, 0 then `received` packets per track. */
async function reading(s: RoomState, received: Record<string, number>) {
  const quality: Record<string, ConnectionQuality | undefined> = {};
  const stats = new RoomStats(s, (sid, q) => (quality[sid] = q));
  const expects = (trackSid: string) => !s.tracks[trackSid]!.info.muted;
  await stats.poll(connection({ a1: 10, v1: 10 }), expects);
  await stats.poll(connection(received), expects);
  return quality['p'];
}

describe('local connection quality', () => {
  it('says lost when media should arrive and none did', async () => {
    expect(await reading(room(false, false), { a1: 10, v1: 10 })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_LOST,
    );
    // Muted microphone, camera on: the camera's silence still counts.
    expect(await reading(room(true, false), { a1: 10, v1: 10 })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_LOST,
    );
  });

  it('has no reading for someone who sends nothing on purpose (muted, camera off)', async () => {
    expect(await reading(room(true, true), { a1: 10, v1: 10 })).toBeUndefined();
  });

  it('reads the link as usual while packets flow', async () => {
    expect(await reading(room(false, false), { a1: 60, v1: 90 })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_EXCELLENT,
    );
    expect(await reading(room(true, true), { a1: 10, v1: 20 })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_EXCELLENT,
    );
  });
});

/** Two remote people, P and Q, each with a microphone and a camera, all unmuted. */
function two(): RoomState {
  const s = room(false, false);
  const q = (sid: string, id: string, source: TrackSource) => ({
    info: trackInfo(sid, 'q', source),
    stream: { getTracks: () => [{ id }] } as unknown as MediaStream,
  });
  s.tracks['mic2'] = q('mic2', 'a2', TrackSource.TRACK_SOURCE_MICROPHONE);
  s.tracks['cam2'] = q('cam2', 'v2', TrackSource.TRACK_SOURCE_CAMERA);
  s.participants['q'] = participantInfo('q', [s.tracks['mic2'].info, s.tracks['cam2'].info], 'Q');
  return s;
}

describe("this side's own link", () => {
  async function poll(received: Record<string, number>) {
    const s = two();
    const quality: Record<string, ConnectionQuality | undefined> = {};
    const trouble: boolean[] = [];
    const stats = new RoomStats(
      s,
      (sid, q) => (quality[sid] = q),
      (t) => trouble.push(t),
    );
    const expects = () => true;
    await stats.poll(connection({ a1: 10, v1: 10, a2: 10, v2: 10 }), expects);
    await stats.poll(connection(received), expects);
    return { quality, trouble: trouble.at(-1) };
  }

  it('blames nobody else when media from everyone stops at once', async () => {
    const { quality, trouble } = await poll({ a1: 10, v1: 10, a2: 10, v2: 10 });
    expect(trouble).toBe(true);
    expect(quality['p']).toBeUndefined();
    expect(quality['q']).toBeUndefined();
  });

  it('labels the one person whose media stopped while the other still arrives', async () => {
    const { quality, trouble } = await poll({ a1: 10, v1: 10, a2: 60, v2: 90 });
    expect(trouble).toBe(false);
    expect(quality['p']).toBe(ConnectionQuality.CONNECTION_QUALITY_LOST);
    expect(quality['q']).toBe(ConnectionQuality.CONNECTION_QUALITY_EXCELLENT);
  });
});

describe("this side's own link, while joining", () => {
  it('labels people whose media has not started yet, instead of calling it our trouble', async () => {
    const quality: Record<string, ConnectionQuality | undefined> = {};
    const trouble: boolean[] = [];
    const stats = new RoomStats(
      two(),
      (sid, q) => (quality[sid] = q),
      (t) => trouble.push(t),
    );
    await stats.poll(connection({ a1: 0, v1: 0, a2: 0, v2: 0 }), () => true);
    expect(trouble).toEqual([false]);
    expect(quality['p']).toBe(ConnectionQuality.CONNECTION_QUALITY_LOST);
    expect(quality['q']).toBe(ConnectionQuality.CONNECTION_QUALITY_LOST);
  });
});
