// Where a room's router lives and who is in the room, as signaling records them in the shared kv (memory on
// one machine, Redis with REDIS_URL). Read by other roles that need the room's SFU worker and its
// participants' names (the recorder); only signaling writes them.
import type { Kv } from '@origo/kit/bus';

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

/** The room's participants (hash: sid -> JSON `{ nodeId, info: ParticipantInfo }`), written by RoomStore. */
export const participantsKey = (room: string): string => `signal:room:${room}:participants`;

/** Display names of the room's participants by sid (the SFU's participant id); entries that do not parse are skipped. */
export async function readParticipantNames(kv: Kv, room: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const [sid, raw] of Object.entries(await kv.hgetall(participantsKey(room)))) {
    try {
      const name = (JSON.parse(raw) as { info?: { name?: unknown } }).info?.name;
      if (typeof name === 'string' && name.length > 0) names.set(sid, name);
    } catch {
      // a broken entry; signaling removes it
    }
  }
  return names;
}
