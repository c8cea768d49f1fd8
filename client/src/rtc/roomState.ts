// What the meeting page renders, and the pure rules that change it when the server reports something.
// The reducers mutate a draft (Solid's `produce` hands one in; tests pass a plain object).
import type {
  ConnectionQuality,
  ParticipantInfo,
  RoomEndReason,
  SpeakerInfo,
  TrackInfo,
  TimeLimitWarning,
} from '@origo/proto/signal';
import type { CloseReason, SessionPhase } from './protocol.js';

export interface RemoteTrack {
  info: TrackInfo;
  /** Set once the subscriber connection delivered the media. */
  stream: MediaStream | null;
}

export interface RoomState {
  phase: SessionPhase;
  /** Media paths are up (both connections connected at least once). */
  mediaConnected: boolean;
  /** Socket or ICE trouble right now; the banner shows while true. */
  reconnecting: boolean;
  /**
   * Media from every other person (two or more) stalled or degraded at once: the trouble is this side's
   * link, so the page says so instead of labelling each of them.
   */
  ownLinkTrouble: boolean;
  /** Media could not connect in time: what went wrong and what to do next (null while fine). */
  mediaFailure: string | null;
  self: ParticipantInfo | null;
  roomName: string;
  /** Everyone else, by sid. */
  participants: Record<string, ParticipantInfo>;
  /** Remote tracks by track sid. */
  tracks: Record<string, RemoteTrack>;
  /** Audio levels of active speakers by participant sid. */
  speaking: Record<string, number>;
  activeSpeaker: string | null;
  quality: Record<string, ConnectionQuality>;
  micMuted: boolean;
  cameraOff: boolean;
  sharing: boolean;
  /** Local preview stream (camera only). */
  localVideo: MediaStream | null;
  screenStream: MediaStream | null;
  ended: { reason: CloseReason; endReason: RoomEndReason } | null;
  notice: string | null;
  /** The meeting ends soon at its plan's length cap (the server's warning), until it ends. */
  timeLimit: TimeLimitWarning | null;
  /** The recording running in the room (everyone is told), or null. */
  recordingId: string | null;
  rttMs: number;
}

export function initialRoomState(
  camera: MediaStreamTrack | null,
  microphone: MediaStreamTrack | null,
): RoomState {
  return {
    phase: 'idle',
    mediaConnected: false,
    reconnecting: false,
    ownLinkTrouble: false,
    mediaFailure: null,
    self: null,
    roomName: '',
    participants: {},
    tracks: {},
    speaking: {},
    activeSpeaker: null,
    quality: {},
    micMuted: microphone === null || !microphone.enabled,
    cameraOff: camera === null,
    sharing: false,
    localVideo: camera ? new MediaStream([camera]) : null,
    screenStream: null,
    ended: null,
    notice: null,
    timeLimit: null,
    recordingId: null,
    rttMs: 0,
  };
}

/** Keeps tracks[].info in step with the participants' track lists. */
export function syncTrackInfos(s: RoomState): void {
  for (const p of Object.values(s.participants)) {
    for (const t of p.tracks) {
      const existing = s.tracks[t.sid];
      if (existing) existing.info = t;
    }
  }
}

export function setParticipants(s: RoomState, list: readonly ParticipantInfo[]): void {
  const next: Record<string, ParticipantInfo> = {};
  for (const p of list) next[p.sid] = p;
  for (const sid of Object.keys(s.participants)) if (!(sid in next)) removeParticipant(s, sid);
  s.participants = next;
  syncTrackInfos(s);
}

export function upsertParticipant(s: RoomState, p: ParticipantInfo): void {
  s.participants[p.sid] = p;
  syncTrackInfos(s);
}

/**
 * What the others read when a participant leaves: only the last host leaving is news (the meeting goes
 * on, now without anyone who can use the host actions); null otherwise.
 */
export function hostLeftNotice(s: RoomState, sid: string): string | null {
  const leaving = s.participants[sid];
  if (!leaving?.isHost || s.self === null || s.self.isHost) return null;
  const hostRemains = Object.values(s.participants).some((p) => p.sid !== sid && p.isHost);
  if (hostRemains) return null;
  const name = leaving.name.trim() || 'The host';
  return `${name} (host) left the meeting. The meeting goes on.`;
}

/** Removes a participant and everything shown for it; returns the sids of its tracks. */
export function removeParticipant(s: RoomState, sid: string): string[] {
  const p = s.participants[sid];
  const trackSids = p ? p.tracks.map((t) => t.sid) : [];
  delete s.participants[sid];
  delete s.speaking[sid];
  delete s.quality[sid];
  for (const t of trackSids) delete s.tracks[t];
  if (s.activeSpeaker === sid) s.activeSpeaker = null;
  return trackSids;
}

/** Tracks published, updated (mute, size) or removed by others. */
export function applyTracksChanged(
  s: RoomState,
  updated: readonly TrackInfo[],
  removed: readonly string[],
): void {
  for (const t of updated) {
    const p = s.participants[t.participantSid];
    if (p === undefined) continue;
    const i = p.tracks.findIndex((x) => x.sid === t.sid);
    if (i >= 0) p.tracks[i] = t;
    else p.tracks.push(t);
  }
  for (const sid of removed) {
    for (const p of Object.values(s.participants)) {
      const i = p.tracks.findIndex((x) => x.sid === sid);
      if (i >= 0) p.tracks.splice(i, 1);
    }
    delete s.tracks[sid];
  }
  syncTrackInfos(s);
}

export function applySpeakers(s: RoomState, speakers: readonly SpeakerInfo[]): void {
  const speaking: Record<string, number> = {};
  for (const sp of speakers) if (sp.active) speaking[sp.participantSid] = sp.level;
  s.speaking = speaking;
  const loudest = speakers.find((sp) => sp.active);
  if (loudest) s.activeSpeaker = loudest.participantSid;
}

/** Every live track of the others that this client is not subscribed to yet. */
export function unsubscribedTracks(s: RoomState, subscribed: ReadonlySet<string>): string[] {
  const sids: string[] = [];
  for (const p of Object.values(s.participants))
    for (const t of p.tracks) if (!subscribed.has(t.sid)) sids.push(t.sid);
  return sids;
}
