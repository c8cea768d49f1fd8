// Where a room's router lives and who is in the room, as signaling records them in the shared kv (memory on
// one machine, Redis with REDIS_URL). Only signaling writes them; other roles read them: the recorder (the
// room's SFU worker and its participants' names) and control's admin view of live rooms.
import type { Kv } from './types.js';

export interface Placement {
  /** Server id of the room. */
  sid: string;
  /** gRPC address of the SFU worker holding the router. */
  address: string;
  workerId: string;
  createdAt: number;
}

export const placementKey = (room: string): string => `signal:room:${room}:placement`;

/** The room's placement, or undefined when no router serves it now. */
export async function readPlacement(kv: Kv, room: string): Promise<Placement | undefined> {
  const raw = await kv.get(placementKey(room));
  return raw === null ? undefined : (JSON.parse(raw) as Placement);
}

/** The room's participants (hash: sid -> JSON `{ nodeId, info: ParticipantInfo }`), written by signaling. */
export const participantsKey = (room: string): string => `signal:room:${room}:participants`;

/** What readers outside signaling take of a participant entry. */
export interface RoomParticipant {
  /** Server id of the participant (the SFU's participant id). */
  sid: string;
  /** Who joined: a user id, or a guest identity. */
  identity: string;
  name: string;
  /** When they joined, ms since the epoch. */
  joinedAt: number;
  isHost: boolean;
  /** The signaling node holding their connection. */
  nodeId: string;
}

function parseParticipant(sid: string, raw: string): RoomParticipant | undefined {
  try {
    const value = JSON.parse(raw) as { nodeId?: unknown; info?: Record<string, unknown> };
    const info = value.info;
    if (typeof value.nodeId !== 'string' || info === undefined || info === null) return undefined;
    const { identity, name, joinedAt, isHost } = info;
    if (typeof identity !== 'string' || typeof name !== 'string' || typeof joinedAt !== 'number')
      return undefined;
    return { sid, identity, name, joinedAt, isHost: isHost === true, nodeId: value.nodeId };
  } catch {
    // a broken entry; signaling removes it
    return undefined;
  }
}

/** The room's participants, oldest first; entries that do not parse are skipped. */
export async function readRoomParticipants(kv: Kv, room: string): Promise<RoomParticipant[]> {
  const out: RoomParticipant[] = [];
  for (const [sid, raw] of Object.entries(await kv.hgetall(participantsKey(room)))) {
    const p = parseParticipant(sid, raw);
    if (p !== undefined) out.push(p);
  }
  return out.sort((a, b) => a.joinedAt - b.joinedAt);
}

/** Display names of the room's participants by sid; entries that do not parse are skipped. */
export async function readParticipantNames(kv: Kv, room: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const p of await readRoomParticipants(kv, room)) if (p.name.length > 0) names.set(p.sid, p.name);
  return names;
}
