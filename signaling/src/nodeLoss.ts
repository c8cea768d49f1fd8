// Signaling nodes that die without saying goodbye (SIGKILL, a lost machine, a node cut off from the store).
// Their sessions stay in the shared store, and only the owning node would ever publish their `left`. So
// every node sweeps the rooms it serves: a participant whose node's heartbeat expired is announced gone by
// exactly one node (a set-if-absent claim per participant), which also closes its SFU peer (and with it the
// consumers of its tracks) and reports the leave to control. Rooms no live node serves (everyone in them
// was on the dead node) are looked after by one node, from the dead node's list of rooms: their
// participants are reported gone and their routers closed, as the dead node would have done. A node that
// comes back after being declared dead sends the affected clients to reconnect: the others already saw
// them leave.
import { DisconnectReason, LeaveAction } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { RoomEventType } from './reporter.js';
import { push } from './responses.js';
import { retryInBackground } from './retry.js';
import type { Session } from './session.js';
import type { SfuClient } from './sfu.js';
import type { ParticipantEntry } from './store.js';

/** A room as the sweep needs it: served here, or left behind by a dead node. */
interface SweptRoom {
  name: string;
  /** Server id of the room (its placement); empty when it has none. */
  sid: string;
  /** The worker holding its router; none when the room has no placement. */
  sfu: SfuClient | undefined;
}

/** How long one node looks after a dead node's rooms before another may (if the first died as well). */
const NODE_SWEEP_CLAIM_MS = 60_000;

/** What control is told about a participant whose signaling node died. */
export const NODE_LOST_REASON = 'node_lost';

export class NodeLoss {
  private sweeping = false;

  constructor(private readonly ctx: NodeContext) {}

  /**
   * One pass over the rooms this node serves. A pass still running (a slow store) makes the next one a
   * no-op rather than a second walker racing the first.
   */
  async sweep(): Promise<void> {
    if (this.sweeping || this.ctx.flags.closing) return;
    this.sweeping = true;
    try {
      const alive = new Map<string, boolean>();
      let failed = 0;
      let lastError: unknown;
      for (const room of this.ctx.rooms.all()) {
        if (room.closed || this.ctx.flags.closing) continue;
        try {
          const { dead } = await this.ctx.store.entries(room.name, alive);
          const swept = { name: room.name, sid: room.placement.sid, sfu: room.sfu };
          for (const entry of dead) await this.departed(swept, entry);
        } catch (err) {
          failed += 1;
          lastError = err;
        }
      }
      try {
        await this.orphans(alive);
      } catch (err) {
        failed += 1;
        lastError = err;
      }
      if (failed > 0) this.ctx.logger.warn({ err: lastError, rooms: failed }, 'dead-node sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  /** The rooms of dead nodes that this node does not serve (one node at a time looks after each dead node). */
  private async orphans(alive: Map<string, boolean>): Promise<void> {
    const { store } = this.ctx;
    for (const node of await store.nodes()) {
      if (this.ctx.flags.closing) return;
      if (!alive.has(node)) alive.set(node, await store.isAlive(node));
      if (alive.get(node) === true || !(await store.claimNodeSweep(node, NODE_SWEEP_CLAIM_MS))) continue;
      for (const room of await store.roomsOf(node)) {
        // Rooms served here were swept above; a room another live node serves is swept by that node.
        if (!this.ctx.rooms.get(room)) await this.orphan(room, alive);
      }
      await store.forgetDeadNode(node);
      this.ctx.logger.info({ node_id: node }, 'rooms of a dead signaling node looked after');
    }
  }

  /**
   * A room a dead node served (or this node before a crash, `ownAreStale`): its participants there leave;
   * if no live node is in it, its router closes as the dead node would have closed it.
   */
  private async orphan(name: string, alive: Map<string, boolean>, ownAreStale = false): Promise<void> {
    const { store, pool, logger } = this.ctx;
    const { live, dead } = await store.entries(name, alive);
    const own = ownAreStale ? live.filter((e) => e.nodeId === store.nodeId) : [];
    const others = live.filter((e) => e.nodeId !== store.nodeId || !ownAreStale);
    // A live node in the room sweeps the dead entries itself.
    const gone = others.length > 0 ? own : [...own, ...dead];
    if (gone.length === 0 && others.length > 0) return;
    const placement = await store.placement(name);
    const swept = {
      name,
      sid: placement?.sid ?? '',
      sfu: placement ? pool.client(placement.address) : undefined,
    };
    for (const entry of gone) await this.departed(swept, entry);
    // Someone may have joined through a live node meanwhile: then that node keeps the router.
    if (!placement || others.length > 0 || (await store.participants(name)).length > 0) return;
    if (!(await store.claimOrphan(name, placement.sid))) return;
    logger.warn(
      { room: name, sfu: placement.address },
      'closing the router of a room only a dead node served',
    );
    await this.ctx.rooms.closeRouter(name, placement, NODE_LOST_REASON);
  }

  /**
   * At start, before serving anyone: a previous run under this node id (a crash, and a restart before its
   * heartbeat expired, or with a fixed SIGNALING_NODE_ID) left sessions in the store that look alive to the
   * others. They are announced gone, and the rooms only they were in are closed.
   */
  async restarted(): Promise<void> {
    const { store } = this.ctx;
    const rooms = await store.roomsOf(store.nodeId);
    for (const name of rooms) await this.orphan(name, new Map(), true);
    if (rooms.length > 0) await store.forgetRooms();
  }

  /** Announces that `entry` left, unless another node already did. */
  private async departed(room: SweptRoom, entry: ParticipantEntry): Promise<void> {
    const { store, logger, roomBus } = this.ctx;
    const sid = entry.info.sid;
    if (!(await store.claimDeparture(room.name, sid))) return;
    const context = { room: room.name, participant_sid: sid, node_id: entry.nodeId };
    logger.warn(context, 'signaling node of a participant stopped beating; announcing it left');
    const wanted = (): boolean => !this.ctx.flags.closing;
    const announce = (): Promise<void> =>
      roomBus.publish(room.name, {
        t: 'left',
        sid,
        reason: DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST,
      });
    const remove = (): Promise<void> => store.removeParticipant(room.name, sid);
    await Promise.all([
      room.sfu
        ?.closePeer({ roomId: room.name, participantId: sid })
        .catch((err: unknown) => logger.warn({ err, ...context }, 'ClosePeer of a lost participant failed')),
      // The claim is taken: nobody else will announce it, so both writes are repeated until the store answers.
      announce().catch((err: unknown) => {
        logger.warn({ err, ...context }, 'left event failed');
        retryInBackground('left event', announce, logger, wanted, context);
      }),
      remove().catch((err: unknown) => {
        logger.warn({ err, ...context }, 'store removal failed');
        retryInBackground('store removal', remove, logger, wanted, context);
      }),
    ]);
    const count = await store.participants(room.name).then(
      (e) => e.length,
      () => 0,
    );
    this.ctx.rooms.report(
      room.name,
      room.sid,
      RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT,
      NODE_LOST_REASON,
      { identity: entry.info.identity, name: entry.info.name, count },
    );
  }

  /**
   * This node's heartbeat had expired: sessions another node announced gone in the meantime are sent to
   * reconnect (their SFU peers were closed, and the others no longer list them).
   */
  async revived(): Promise<void> {
    const { store } = this.ctx;
    // The node that looked after this one in the meantime removed its registration and its list of rooms.
    await store.registerNode();
    await Promise.all(this.ctx.rooms.all().map((room) => store.servesRoom(room.name)));
    const sessions = [...this.ctx.sessionsById.values()];
    await Promise.all(
      sessions.map(async (session) => {
        if (await this.ctx.store.isDeparted(session.room.name, session.sid)) this.declaredGone(session);
      }),
    );
  }

  /** Another node announced this node's session gone: the client must join again to be seen. */
  declaredGone(session: Session): void {
    if (session.closed) return;
    this.ctx.logger.warn(
      { room: session.room.name, participant_sid: session.sid },
      'session was declared gone by another node; sending the client to reconnect',
    );
    session.send(
      push('leave', {
        reason: DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST,
        action: LeaveAction.LEAVE_ACTION_RECONNECT,
      }),
    );
    // The node that announced it already told the room and control, and closed the peer.
    session.announced = false;
    this.ctx.departures.close(session, DisconnectReason.DISCONNECT_REASON_CONNECTION_LOST, {
      notify: false,
      closePeer: false,
    });
  }
}
