// Room state shared by every signaling node through the kit's kv (in memory on one machine, Redis
// with REDIS_URL): where a room's router lives, and who is in the room on which node. Node liveness
// keys let a node ignore participants of a node that died without saying goodbye (and announce them gone).
import { AppError, ErrorCode } from '@origo/kit';
import type { Kv } from '@origo/kit/bus';
import type { ParticipantInfo } from '@origo/proto/signal';
import { participantsKey, placementKey, readPlacement, type Placement } from './placement.js';
import { participantInfoSchema } from './roomEvents.js';

export type { Placement } from './placement.js';

export interface ParticipantEntry {
  nodeId: string;
  info: ParticipantInfo;
}

/**
 * How many people the entries hold: distinct identities, since a person who joined again from another
 * window has a second entry until the first session is closed.
 */
export function peopleIn(entries: readonly ParticipantEntry[]): number {
  return new Set(entries.map((e) => e.info.identity)).size;
}

export interface RoomEntries {
  /** Participants on nodes that still beat (this one included). */
  live: ParticipantEntry[];
  /** Participants left behind by nodes whose heartbeat expired. */
  dead: ParticipantEntry[];
}

const nodeKey = (nodeId: string): string => `signal:node:${nodeId}`;
/** Every signaling node that started and has not been cleaned up after (hash: node id -> start time). */
const NODES_KEY = 'signal:nodes';
/** The rooms a node serves (hash: room -> since), read by the others when it dies. */
const nodeRoomsKey = (nodeId: string): string => `signal:node-rooms:${nodeId}`;
const nodeSweepKey = (nodeId: string): string => `signal:node-sweep:${nodeId}`;
const orphanKey = (room: string, roomSid: string): string => `signal:room:${room}:orphan-closed:${roomSid}`;
const lockKey = (room: string): string => `signal:room:${room}:locked`;
const recordingKey = (room: string): string => `signal:room:${room}:recording`;
const commandKey = (id: string): string => `signal:command:${id}`;
const endedKey = (room: string): string => `signal:room:${room}:ended-at`;
const removedKey = (room: string, identity: string): string => `signal:room:${room}:removed:${identity}`;
const departedKey = (room: string, sid: string): string => `signal:room:${room}:departed:${sid}`;

/** Longest a join token lives (control's JOIN_TOKEN_TTL_SECONDS ceiling): markers outlive every token. */
const MARKER_TTL_MS = 3600_000;
/** A removal holds for a day (a meeting rarely runs longer); a host can allow the person back sooner. */
const REMOVAL_TTL_MS = 24 * 3600_000;
const signedOutKey = (identity: string): string => `signal:signed-out:${identity}`;
/** Outlives every join token issued before the sign-out (control issues them for an hour at most). */
const SIGNED_OUT_TTL_MS = 2 * 3600_000;

/** Store failures become UNAVAILABLE (a clear, retryable error for the client), whatever the backend threw. */
async function guarded<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(ErrorCode.UNAVAILABLE, 'room store unavailable; retry shortly', { cause: err });
  }
}

export class RoomStore {
  constructor(
    private readonly kv: Kv,
    readonly nodeId: string,
    private readonly nodeTtlMs: number,
  ) {}

  /**
   * Marks this node alive; called periodically. False when the mark had expired (the first beat, or a node
   * cut off from the store for longer than the TTL): other nodes may have declared its participants left.
   */
  async heartbeat(): Promise<boolean> {
    if (await guarded(this.kv.expire(nodeKey(this.nodeId), this.nodeTtlMs))) return true;
    await guarded(this.kv.set(nodeKey(this.nodeId), String(Date.now()), { ttlMs: this.nodeTtlMs }));
    return false;
  }

  /** Lists this node among the signaling nodes, so the others look after its rooms if it dies. */
  async registerNode(): Promise<void> {
    await guarded(this.kv.hset(NODES_KEY, { [this.nodeId]: String(Date.now()) }));
    await guarded(this.kv.del(nodeSweepKey(this.nodeId)));
  }

  /** A clean stop: this node's rooms were closed or handed over, nothing is left to look after. */
  async forgetNode(): Promise<void> {
    await guarded(this.kv.del(nodeKey(this.nodeId)));
    await this.forgetDeadNode(this.nodeId);
  }

  /** Every registered signaling node (alive or not). */
  async nodes(): Promise<string[]> {
    return Object.keys(await guarded(this.kv.hgetall(NODES_KEY)));
  }

  /** Whether `nodeId` beat within its TTL. */
  async isAlive(nodeId: string): Promise<boolean> {
    return nodeId === this.nodeId || (await guarded(this.kv.get(nodeKey(nodeId)))) !== null;
  }

  async servesRoom(room: string): Promise<void> {
    await guarded(this.kv.hset(nodeRoomsKey(this.nodeId), { [room]: String(Date.now()) }));
  }

  async stoppedServing(room: string): Promise<void> {
    await guarded(this.kv.hdel(nodeRoomsKey(this.nodeId), room));
  }

  /** Drops this node's list of rooms (at start, once what a previous run left was looked after). */
  async forgetRooms(): Promise<void> {
    await guarded(this.kv.del(nodeRoomsKey(this.nodeId)));
  }

  /** The rooms a (dead) node served. */
  async roomsOf(nodeId: string): Promise<string[]> {
    return Object.keys(await guarded(this.kv.hgetall(nodeRoomsKey(nodeId))));
  }

  /**
   * True for one caller at a time: the node that looks after a dead node's rooms. The claim expires, so
   * if that node dies as well another one takes over.
   */
  async claimNodeSweep(nodeId: string, ttlMs: number): Promise<boolean> {
    return guarded(this.kv.set(nodeSweepKey(nodeId), this.nodeId, { ifAbsent: true, ttlMs }));
  }

  /** Everything a dead node left in the store about itself, once its rooms were looked after. */
  async forgetDeadNode(nodeId: string): Promise<void> {
    await guarded(this.kv.del(nodeRoomsKey(nodeId)));
    await guarded(this.kv.hdel(NODES_KEY, nodeId));
  }

  /** True for exactly one caller: closing the router of a room nobody alive serves (placement `roomSid`). */
  async claimOrphan(room: string, roomSid: string): Promise<boolean> {
    return guarded(
      this.kv.set(orphanKey(room, roomSid), this.nodeId, { ifAbsent: true, ttlMs: MARKER_TTL_MS }),
    );
  }

  async placement(room: string): Promise<Placement | undefined> {
    return guarded(readPlacement(this.kv, room));
  }

  /** Stores the placement unless another node got there first; returns the one that holds. */
  async place(room: string, placement: Placement): Promise<Placement> {
    if (await guarded(this.kv.set(placementKey(room), JSON.stringify(placement), { ifAbsent: true })))
      return placement;
    const winner = await this.placement(room);
    if (winner) return winner;
    // Deleted between the two calls (room closed): try once more.
    await guarded(this.kv.set(placementKey(room), JSON.stringify(placement), { ifAbsent: true }));
    return (await this.placement(room)) ?? placement;
  }

  /** Removes the placement only if it is still `placement` (a newer one is left alone). */
  async unplace(room: string, placement: Placement): Promise<void> {
    await guarded(this.kv.compareAndDelete(placementKey(room), JSON.stringify(placement)));
  }

  async putParticipant(room: string, info: ParticipantInfo): Promise<void> {
    const entry: ParticipantEntry = { nodeId: this.nodeId, info };
    await guarded(this.kv.hset(participantsKey(room), { [info.sid]: JSON.stringify(entry) }));
  }

  async removeParticipant(room: string, sid: string): Promise<void> {
    await guarded(this.kv.hdel(participantsKey(room), sid));
  }

  /**
   * Participants on live nodes. Entries of dead nodes stay in the store until a node serving the room
   * announces their departure (nodeLoss.ts); entries that do not parse are removed on the way.
   */
  async participants(room: string): Promise<ParticipantEntry[]> {
    return (await this.entries(room)).live;
  }

  /**
   * Every participant entry of the room, split by whether its node is alive, oldest first. `alive` caches
   * node liveness between calls (one sweep over many rooms asks about each node once).
   */
  async entries(room: string, alive = new Map<string, boolean>()): Promise<RoomEntries> {
    const all = await guarded(this.kv.hgetall(participantsKey(room)));
    const entries: ParticipantEntry[] = [];
    const broken: string[] = [];
    for (const [sid, raw] of Object.entries(all)) {
      const entry = parseEntry(raw);
      if (entry) entries.push(entry);
      else broken.push(sid);
    }
    alive.set(this.nodeId, true);
    const unknown = [...new Set(entries.map((e) => e.nodeId))].filter((node) => !alive.has(node));
    await Promise.all(unknown.map(async (node) => alive.set(node, await this.isAlive(node))));
    if (broken.length > 0) await guarded(this.kv.hdel(participantsKey(room), ...broken));
    entries.sort((a, b) => a.info.joinedAt - b.info.joinedAt);
    return {
      live: entries.filter((e) => alive.get(e.nodeId) === true),
      dead: entries.filter((e) => alive.get(e.nodeId) !== true),
    };
  }

  /**
   * Claims the announcement that `sid` (of a dead node) left: true for exactly one caller, whichever
   * node asks first. Kept as long as a join token lives, so the node itself can learn it was declared gone.
   */
  async claimDeparture(room: string, sid: string): Promise<boolean> {
    return guarded(
      this.kv.set(departedKey(room, sid), this.nodeId, { ifAbsent: true, ttlMs: MARKER_TTL_MS }),
    );
  }

  /** Whether another node announced that `sid` left (its node had stopped beating). */
  async isDeparted(room: string, sid: string): Promise<boolean> {
    return (await guarded(this.kv.get(departedKey(room, sid)))) !== null;
  }

  async dropRoom(room: string): Promise<void> {
    await guarded(this.kv.del(participantsKey(room)));
  }

  /** Locked rooms refuse new joins (a host control from the control service). */
  async setLocked(room: string, locked: boolean): Promise<void> {
    if (locked) await guarded(this.kv.set(lockKey(room), '1', { ttlMs: 24 * 3600_000 }));
    else await guarded(this.kv.del(lockKey(room)));
  }

  async isLocked(room: string): Promise<boolean> {
    return (await guarded(this.kv.get(lockKey(room)))) !== null;
  }

  /**
   * The recording running in the room, for those who join while it runs (any node). Kept a day at most,
   * so a recorder that died without saying so does not mark the room forever.
   */
  async setRecording(room: string, recordingId: string | undefined): Promise<void> {
    if (recordingId !== undefined)
      await guarded(this.kv.set(recordingKey(room), recordingId, { ttlMs: 24 * 3600_000 }));
    else await guarded(this.kv.del(recordingKey(room)));
  }

  async recording(room: string): Promise<string | undefined> {
    return (await guarded(this.kv.get(recordingKey(room)))) ?? undefined;
  }

  /**
   * The meeting ended (or was cancelled) at `atMs`: every join token issued before is refused from now on,
   * on every node. Kept longer than any token lives; a later end moves it forward.
   */
  async markEnded(room: string, atMs: number): Promise<void> {
    const before = await this.endedAt(room);
    if (before !== null && before >= atMs) return;
    await guarded(this.kv.set(endedKey(room), String(atMs), { ttlMs: MARKER_TTL_MS }));
  }

  /** When the meeting last ended, ms since the epoch; null when it has not. */
  async endedAt(room: string): Promise<number | null> {
    const raw = await guarded(this.kv.get(endedKey(room)));
    const at = raw === null ? NaN : Number(raw);
    return Number.isFinite(at) ? at : null;
  }

  /** A host removed `identity`: it may not join this room again until a host allows it. */
  async markRemoved(room: string, identity: string): Promise<void> {
    await guarded(this.kv.set(removedKey(room, identity), String(Date.now()), { ttlMs: REMOVAL_TTL_MS }));
  }

  async isRemoved(room: string, identity: string): Promise<boolean> {
    return (await guarded(this.kv.get(removedKey(room, identity)))) !== null;
  }

  /** An administrator signed the account `identity` out at `atMs`: older join tokens of it are refused. */
  async markSignedOut(identity: string, atMs: number): Promise<void> {
    const before = await this.signedOutAt(identity);
    if (before !== null && before >= atMs) return;
    await guarded(this.kv.set(signedOutKey(identity), String(atMs), { ttlMs: SIGNED_OUT_TTL_MS }));
  }

  /** When an administrator last signed `identity` out, ms since the epoch; null when not lately. */
  async signedOutAt(identity: string): Promise<number | null> {
    const raw = await guarded(this.kv.get(signedOutKey(identity)));
    const at = raw === null ? NaN : Number(raw);
    return Number.isFinite(at) ? at : null;
  }

  /** A host lets a removed person back in. */
  async allowBack(room: string, identity: string): Promise<void> {
    await guarded(this.kv.del(removedKey(room, identity)));
  }

  /** True for exactly one node per command id (every node receives every command). */
  async claimCommand(id: string): Promise<boolean> {
    return guarded(this.kv.set(commandKey(id), this.nodeId, { ifAbsent: true, ttlMs: 10 * 60_000 }));
  }
}

function parseEntry(raw: string): ParticipantEntry | undefined {
  try {
    const value = JSON.parse(raw) as { nodeId?: unknown; info?: unknown };
    if (typeof value.nodeId !== 'string') return undefined;
    const info = participantInfoSchema.safeParse(value.info);
    return info.success ? { nodeId: value.nodeId, info: info.data } : undefined;
  } catch {
    return undefined;
  }
}
