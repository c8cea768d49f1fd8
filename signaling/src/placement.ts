// Where a room's router lives, as signaling records it in the shared kv (memory on one machine, Redis with
// REDIS_URL). Read by other roles that need the room's SFU worker (the recorder); only signaling writes it.
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
