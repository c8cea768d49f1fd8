// Room state shared by every signaling node through the kit's kv (in memory on one machine, Redis
// with REDIS_URL): where a room's router lives, and who is in the room on which node. Node liveness
// keys let a node ignore (and clean up) participants of a node that died without saying goodbye.
import type { Kv } from '@origo/kit/bus';
import type { ParticipantInfo } from '@origo/proto/signal';

export interface Placement {
  /** Server id of the room. */
  sid: string;
  /** gRPC address of the SFU worker holding the router. */
  address: string;
  workerId: string;
  createdAt: number;
}

export interface ParticipantEntry {
  nodeId: string;
  info: ParticipantInfo;
}

const placementKey = (room: string): string => `signal:room:${room}:placement`;
const participantsKey = (room: string): string => `signal:room:${room}:participants`;
const nodeKey = (nodeId: string): string => `signal:node:${nodeId}`;
const lockKey = (room: string): string => `signal:room:${room}:locked`;
const commandKey = (id: string): string => `signal:command:${id}`;

export class RoomStore {
  constructor(
    private readonly kv: Kv,
    readonly nodeId: string,
    private readonly nodeTtlMs: number,
  ) {}

  /** Marks this node alive; called periodically. */
  async heartbeat(): Promise<void> {
    await this.kv.set(nodeKey(this.nodeId), String(Date.now()), { ttlMs: this.nodeTtlMs });
  }

  async forgetNode(): Promise<void> {
    await this.kv.del(nodeKey(this.nodeId));
  }

  async placement(room: string): Promise<Placement | undefined> {
    const raw = await this.kv.get(placementKey(room));
    return raw === null ? undefined : (JSON.parse(raw) as Placement);
  }

  /** Stores the placement unless another node got there first; returns the one that holds. */
  async place(room: string, placement: Placement): Promise<Placement> {
    if (await this.kv.set(placementKey(room), JSON.stringify(placement), { ifAbsent: true }))
      return placement;
    const winner = await this.placement(room);
    if (winner) return winner;
    // Deleted between the two calls (room closed): try once more.
    await this.kv.set(placementKey(room), JSON.stringify(placement), { ifAbsent: true });
    return (await this.placement(room)) ?? placement;
  }

  /** Removes the placement only if it is still `placement` (a newer one is left alone). */
  async unplace(room: string, placement: Placement): Promise<void> {
    await this.kv.compareAndDelete(placementKey(room), JSON.stringify(placement));
  }

  async putParticipant(room: string, info: ParticipantInfo): Promise<void> {
    const entry: ParticipantEntry = { nodeId: this.nodeId, info };
    await this.kv.hset(participantsKey(room), { [info.sid]: JSON.stringify(entry) });
  }

  async removeParticipant(room: string, sid: string): Promise<void> {
    await this.kv.hdel(participantsKey(room), sid);
  }

  /** Participants on live nodes; entries of dead nodes are removed on the way. */
  async participants(room: string): Promise<ParticipantEntry[]> {
    const all = await this.kv.hgetall(participantsKey(room));
    const entries = Object.values(all).map((raw) => JSON.parse(raw) as ParticipantEntry);
    const nodes = [...new Set(entries.map((e) => e.nodeId))];
    const alive = new Set<string>();
    await Promise.all(
      nodes.map(async (node) => {
        if (node === this.nodeId || (await this.kv.get(nodeKey(node))) !== null) alive.add(node);
      }),
    );
    const dead = entries.filter((e) => !alive.has(e.nodeId)).map((e) => e.info.sid);
    if (dead.length > 0) await this.kv.hdel(participantsKey(room), ...dead);
    return entries.filter((e) => alive.has(e.nodeId)).sort((a, b) => a.info.joinedAt - b.info.joinedAt);
  }

  async dropRoom(room: string): Promise<void> {
    await this.kv.del(participantsKey(room));
  }

  /** Locked rooms refuse new joins (a host control from the control service). */
  async setLocked(room: string, locked: boolean): Promise<void> {
    if (locked) await this.kv.set(lockKey(room), '1', { ttlMs: 24 * 3600_000 });
    else await this.kv.del(lockKey(room));
  }

  async isLocked(room: string): Promise<boolean> {
    return (await this.kv.get(lockKey(room))) !== null;
  }

  /** True for exactly one node per command id (every node receives every command). */
  async claimCommand(id: string): Promise<boolean> {
    return this.kv.set(commandKey(id), this.nodeId, { ifAbsent: true, ttlMs: 10 * 60_000 });
  }
}
