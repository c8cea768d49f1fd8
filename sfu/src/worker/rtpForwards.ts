// Plain-RTP forwards of a room's tracks to a recorder: the worker's side of StartRtpForward, keyframe
// requests and StopRtpForward. The media core's RtpForward does the sending; this checks the request and
// picks the tracks.
import { isIP } from 'node:net';
import { AppError, type Logger } from '@origo/kit';
import type { RoomTrack, RtpForwardStream, StartRtpForwardRequest } from '@origo/proto/sfu-rpc';
import type { Router } from '../media/index.js';
import { checkId, media } from './convert.js';
import type { TrackRegistry } from './tracks.js';

/** What a forward needs of its room. */
export interface ForwardingRoom {
  readonly roomId: string;
  readonly router: Router;
  readonly tracks: TrackRegistry;
}

const MAX_PORTS = 64;

/**
 * Forwards the room's live tracks (of the requested kinds, oldest first, up to the number of ports) as
 * plain RTP to `host`, one port each. Tracks published later are not added: a recorder watches
 * ListRoomTracks and starts a new forward with its new layout.
 */
export function startRtpForward(
  room: ForwardingRoom,
  req: StartRtpForwardRequest,
  logger: Logger,
): RtpForwardStream[] {
  checkId('forward_id', req.forwardId);
  const family = isIP(req.host);
  if (family === 0) throw AppError.invalid('host must be an IP address');
  if (req.ports.length === 0 || req.ports.length > MAX_PORTS)
    throw AppError.invalid(`ports must list 1 to ${MAX_PORTS} ports`);
  for (const port of req.ports)
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw AppError.invalid('ports must be 1..65535');

  const forward = media(() => room.router.createRtpForward(req.forwardId, family === 6 ? 'udp6' : 'udp4'));
  const streams: RtpForwardStream[] = [];
  try {
    for (const track of room.tracks.values()) {
      const port = req.ports[streams.length];
      if (port === undefined) break;
      const producer = track.producer;
      if (track.state !== 'live' || !producer || producer.isClosed) continue;
      if (req.kinds.length > 0 && !req.kinds.includes(track.kind)) continue;
      const s = media(() => forward.add({ producer, target: { host: req.host, port } }));
      streams.push({
        trackId: track.id,
        participantId: track.participantId,
        kind: track.kind,
        source: track.source,
        mimeType: s.mimeType,
        clockRate: s.clockRate,
        channels: s.channels,
        payloadType: s.payloadType,
        ssrc: s.ssrc,
        port,
      });
    }
  } catch (err) {
    forward.close('error');
    throw err;
  }
  logger.info(
    { room_id: room.roomId, forward_id: req.forwardId, streams: streams.length },
    'plain RTP forward started',
  );
  return streams;
}

/** The room's live tracks, oldest first: what a forward started now would carry. */
export function listRoomTracks(room: ForwardingRoom): RoomTrack[] {
  const out: RoomTrack[] = [];
  for (const track of room.tracks.values()) {
    if (track.state !== 'live' || !track.producer || track.producer.isClosed) continue;
    out.push({
      trackId: track.id,
      participantId: track.participantId,
      kind: track.kind,
      source: track.source,
      muted: track.muted,
    });
  }
  return out;
}

export function requestRtpForwardKeyframe(room: ForwardingRoom, forwardId: string): void {
  const forward = room.router.getRtpForward(checkId('forward_id', forwardId));
  if (!forward) throw AppError.notFound(`forward ${forwardId} in room ${room.roomId}`);
  forward.requestKeyframes();
}

/** Stops a forward; false when the room has none by that id. */
export function stopRtpForward(room: ForwardingRoom, forwardId: string): boolean {
  const forward = room.router.getRtpForward(checkId('forward_id', forwardId));
  if (!forward) return false;
  forward.close('stopped');
  return true;
}
