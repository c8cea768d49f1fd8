// What an administrator sees of a live meeting's room: who is in it (signaling's participant entries in the
// shared kv), which SFU worker holds its router (signaling's placement) and the bytes that worker has carried
// for it and for each participant (SfuService.GetStats: the router's counters and its peers').
// Byte counters are totals; the dashboard turns two samples into a bitrate.
import { grpcClientPool, unary } from '@origo/kit';
import { readPlacement, readRoomParticipants, type Kv, type RoomParticipant } from '@origo/kit/bus';
import { SfuServiceClient, type GetStatsResponse } from '@origo/proto/sfu-rpc';

/** What one participant's SFU peer carried, in total since it was created (a rejoin starts again). */
export interface PeerMedia {
  /** The SFU's participant id: the participant entry's `sid`. */
  sid: string;
  /** RTP payload bytes the SFU received from the participant, and sent to them. */
  bytesReceived: number;
  bytesSent: number;
}

export interface RoomMedia {
  workerId: string;
  /** The router's server id (a new one after the room restarts: counters start again). */
  roomSid: string;
  /** Bytes the worker received from the room's publishers and sent to its subscribers, in total. */
  bytesReceived: number;
  bytesSent: number;
  /** One entry per peer the router holds. */
  peers: PeerMedia[];
  /** When the counters were read, ms since the epoch. */
  sampledAt: number;
}

export interface LiveRoomState {
  participants: RoomParticipant[];
  /** Null when no router serves the room now, or its worker did not answer (see `mediaProblem`). */
  media: RoomMedia | null;
  mediaProblem: string | null;
}

export interface LiveRoomInspector {
  inspect(meetingId: string): Promise<LiveRoomState>;
  close(): void;
}

const DEADLINE_MS = 2000;

export function liveRoomInspector(
  kv: Kv,
  options: { deadlineMs?: number; now?: () => number } = {},
): LiveRoomInspector {
  const deadlineMs = options.deadlineMs ?? DEADLINE_MS;
  const now = options.now ?? Date.now;
  const clients = grpcClientPool(SfuServiceClient);
  const client = (address: string): SfuServiceClient => clients.get(address);

  async function media(meetingId: string): Promise<Pick<LiveRoomState, 'media' | 'mediaProblem'>> {
    const placement = await readPlacement(kv, meetingId);
    if (placement === undefined) return { media: null, mediaProblem: 'No media router serves the room now' };
    const c = client(placement.address);
    let stats: GetStatsResponse;
    try {
      stats = await unary(c.getStats.bind(c), { roomId: meetingId }, { deadlineMs });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return {
        media: null,
        mediaProblem: `SFU worker ${placement.workerId} did not answer: ${reason}`,
      };
    }
    const router = stats.routers.find((r) => r.roomId === meetingId);
    if (router === undefined)
      return { media: null, mediaProblem: `SFU worker ${placement.workerId} holds no router for the room` };
    return {
      media: {
        workerId: router.workerId || placement.workerId,
        roomSid: placement.sid,
        bytesReceived: router.bytesReceived,
        bytesSent: router.bytesSent,
        peers: router.peers.map((p) => ({
          sid: p.participantId,
          bytesReceived: p.bytesReceived,
          bytesSent: p.bytesSent,
        })),
        sampledAt: now(),
      },
      mediaProblem: null,
    };
  }

  return {
    async inspect(meetingId) {
      const [participants, m] = await Promise.all([readRoomParticipants(kv, meetingId), media(meetingId)]);
      return { participants, ...m };
    },
    close() {
      clients.close();
    },
  };
}
