// The recorder's side of the SFU: asks the worker holding a room to send its tracks as plain RTP, to ask the
// publishers for keyframes, and to stop. Over the SfuService gRPC API; which worker holds the room is read
// from signaling's placement in the shared kv.
import { AppError, grpcClientPool, unary } from '@origo/kit';
import type { Kv } from '@origo/kit/bus';
import { TrackKind, TrackSource } from '@origo/proto/media';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { readPlacement } from '@origo/signaling/placement';
import type { RtpStreamDescription, TrackSourceName } from './ffmpeg.js';

/** A live track of the room (what a forward started now would carry). */
export interface RoomTrackDescription {
  trackId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: TrackSourceName;
  muted: boolean;
}

export interface RtpForwarder {
  /** The room's live tracks, oldest first. */
  tracks(roomId: string): Promise<RoomTrackDescription[]>;
  /** Starts the forward; the streams the SFU sends, one per port used. */
  start(req: {
    roomId: string;
    forwardId: string;
    host: string;
    ports: number[];
  }): Promise<RtpStreamDescription[]>;
  requestKeyframe(roomId: string, forwardId: string): Promise<void>;
  stop(roomId: string, forwardId: string): Promise<void>;
  close(): void;
}

/** Finds the gRPC address of the SFU worker serving a room, or throws NOT_FOUND / FAILED_PRECONDITION. */
export type RoomLocator = (roomId: string) => Promise<string>;

export function placementLocator(kv: Kv): RoomLocator {
  return async (roomId) => {
    const placement = await readPlacement(kv, roomId);
    if (placement === undefined)
      throw AppError.precondition('The meeting has no one in it: nothing to record yet');
    return placement.address;
  };
}

const DEADLINE_MS = 5000;

export function sourceName(source: TrackSource): TrackSourceName {
  switch (source) {
    case TrackSource.TRACK_SOURCE_CAMERA:
      return 'camera';
    case TrackSource.TRACK_SOURCE_MICROPHONE:
      return 'microphone';
    case TrackSource.TRACK_SOURCE_SCREEN_SHARE:
      return 'screen';
    case TrackSource.TRACK_SOURCE_SCREEN_SHARE_AUDIO:
      return 'screen_audio';
    default:
      return 'unknown';
  }
}

const kindName = (kind: TrackKind): 'audio' | 'video' =>
  kind === TrackKind.TRACK_KIND_AUDIO ? 'audio' : 'video';

export function grpcForwarder(locate: RoomLocator): RtpForwarder {
  const clients = grpcClientPool(SfuServiceClient);
  const client = (address: string): SfuServiceClient => clients.get(address);
  /** The address each forward was started on: stop and keyframe go to the same worker. */
  const started = new Map<string, string>();
  const key = (roomId: string, forwardId: string) => `${roomId}\u0000${forwardId}`;
  const at = async (roomId: string, forwardId: string) =>
    started.get(key(roomId, forwardId)) ?? (await locate(roomId));

  return {
    async tracks(roomId) {
      const c = client(await locate(roomId));
      const res = await unary(c.listRoomTracks.bind(c), { roomId }, { deadlineMs: DEADLINE_MS });
      return res.tracks.map((t) => ({
        trackId: t.trackId,
        participantId: t.participantId,
        kind: kindName(t.kind),
        source: sourceName(t.source),
        muted: t.muted,
      }));
    },
    async start(req) {
      const address = await locate(req.roomId);
      const c = client(address);
      const res = await unary(c.startRtpForward.bind(c), { ...req, kinds: [] }, { deadlineMs: DEADLINE_MS });
      started.set(key(req.roomId, req.forwardId), address);
      return res.streams.map((s) => ({
        trackId: s.trackId,
        participantId: s.participantId,
        kind: kindName(s.kind),
        source: sourceName(s.source),
        mimeType: s.mimeType,
        clockRate: s.clockRate,
        channels: s.channels,
        payloadType: s.payloadType,
        port: s.port,
      }));
    },
    async requestKeyframe(roomId, forwardId) {
      const c = client(await at(roomId, forwardId));
      await unary(c.requestRtpForwardKeyframe.bind(c), { roomId, forwardId }, { deadlineMs: DEADLINE_MS });
    },
    async stop(roomId, forwardId) {
      const c = client(await at(roomId, forwardId));
      started.delete(key(roomId, forwardId));
      await unary(c.stopRtpForward.bind(c), { roomId, forwardId }, { deadlineMs: DEADLINE_MS });
    },
    close() {
      clients.close();
    },
  };
}
