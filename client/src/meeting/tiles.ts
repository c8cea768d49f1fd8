// What the meeting stage shows, derived from the room state: one tile per camera (every participant
// has one, video or not) and one per screen share. Pure, so every participant count is testable.
import { TrackKind, TrackSource, type ParticipantInfo, type TrackInfo } from '@origo/proto/signal';

export interface TileModel<S> {
  /** Stable while the participant or share lasts: `local`, `local:screen`, `cam:<sid>`, `screen:<sid>`. */
  id: string;
  name: string;
  participantSid: string;
  source: 'camera' | 'screen';
  /** The remote video track, for choosing its layer by tile size; null for local tiles. */
  trackSid: string | null;
  stream: S | null;
  local: boolean;
  /** The camera is off (or was never on): the avatar shows instead of the video. */
  videoOff: boolean;
  /** The microphone: muted, live, or none published (no tag then). */
  mic: 'muted' | 'live' | 'none';
}

export interface TileInput<S> {
  selfName: string;
  selfSid: string;
  micMuted: boolean;
  localVideo: S | null;
  localScreen: S | null;
  participants: readonly ParticipantInfo[];
  /** The received media of a remote track, once the subscriber connection delivered it. */
  streamOf: (trackSid: string) => S | null;
}

const isVideo = (t: TrackInfo, source: TrackSource) =>
  t.kind === TrackKind.TRACK_KIND_VIDEO && t.source === source;

export function buildTiles<S>(input: TileInput<S>): TileModel<S>[] {
  const tiles: TileModel<S>[] = [
    {
      id: 'local',
      name: `${input.selfName} (you)`,
      participantSid: input.selfSid,
      source: 'camera',
      trackSid: null,
      stream: input.localVideo,
      local: true,
      videoOff: input.localVideo === null,
      mic: input.micMuted ? 'muted' : 'live',
    },
  ];
  const screens: TileModel<S>[] = [];
  if (input.localScreen !== null) {
    screens.push({
      id: 'local:screen',
      name: 'Your presentation',
      participantSid: input.selfSid,
      source: 'screen',
      trackSid: null,
      stream: input.localScreen,
      local: true,
      videoOff: false,
      mic: 'none',
    });
  }
  const people = [...input.participants].sort(
    (a, b) => a.joinedAt - b.joinedAt || a.sid.localeCompare(b.sid),
  );
  for (const p of people) {
    const name = p.name || p.identity;
    const cam = p.tracks.find((t) => isVideo(t, TrackSource.TRACK_SOURCE_CAMERA));
    const mic = p.tracks.find(
      (t) => t.kind === TrackKind.TRACK_KIND_AUDIO && t.source === TrackSource.TRACK_SOURCE_MICROPHONE,
    );
    tiles.push({
      id: `cam:${p.sid}`,
      name,
      participantSid: p.sid,
      source: 'camera',
      trackSid: cam?.sid ?? null,
      stream: cam === undefined ? null : input.streamOf(cam.sid),
      local: false,
      videoOff: cam === undefined || cam.muted,
      mic: mic === undefined ? 'none' : mic.muted ? 'muted' : 'live',
    });
    for (const t of p.tracks) {
      if (!isVideo(t, TrackSource.TRACK_SOURCE_SCREEN_SHARE)) continue;
      screens.push({
        id: `screen:${t.sid}`,
        name: `${name}, presentation`,
        participantSid: p.sid,
        source: 'screen',
        trackSid: t.sid,
        stream: input.streamOf(t.sid),
        local: false,
        videoOff: t.muted,
        mic: 'none',
      });
    }
  }
  return [...tiles, ...screens];
}

export interface StageChoice {
  pinned: string | null;
  speakerView: boolean;
  /** The participant who spoke last (sticky, so the stage does not flip back in pauses). */
  lastSpeaker: string | null;
}

/**
 * Which tile takes the stage: a pinned one; else a remote presentation; else, in speaker view, the
 * last speaker (or the first other person); else none, and everyone shares the grid.
 */
export function chooseStage<S>(tiles: readonly TileModel<S>[], c: StageChoice): string | null {
  if (c.pinned !== null && tiles.some((t) => t.id === c.pinned)) return c.pinned;
  const share = tiles.find((t) => t.source === 'screen' && !t.local);
  if (share) return share.id;
  if (!c.speakerView) return null;
  const remote = tiles.filter((t) => !t.local && t.source === 'camera');
  return (remote.find((t) => t.participantSid === c.lastSpeaker) ?? remote[0])?.id ?? null;
}
