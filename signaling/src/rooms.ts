// The rooms this node serves: placing a room on an SFU worker (or finding where another node placed it),
// closing it when it stays empty, ending it, and losing it with its worker.
import { AppError, ErrorCode as AppCode } from '@origo/kit';
import { RouterClosedReason } from '@origo/proto/sfu-rpc';
import type { RoomEndReason } from '@origo/proto/signal';
import { DisconnectReason, LeaveAction } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { EgressReporter } from './egress.js';
import { RoomEventType } from './reporter.js';
import { push } from './responses.js';
import { LocalRoom } from './room.js';
import { roomChannel, roomEventSchema } from './roomEvents.js';
import { newId } from './session.js';
import { busReached } from './roomBus.js';
import type { ParticipantEntry, Placement } from './store.js';

export class RoomRegistry {
  private readonly rooms = new Map<string, LocalRoom>();
  private readonly opening = new Map<string, Promise<LocalRoom>>();
  private readonly egress: EgressReporter;

  constructor(private readonly ctx: NodeContext) {
    this.egress = new EgressReporter(ctx);
  }

  get(name: string): LocalRoom | undefined {
    const room = this.rooms.get(name);
    return room && !room.closed ? room : undefined;
  }

  all(): LocalRoom[] {
    return [...this.rooms.values()];
  }

  /** Rooms with at least one session on this node. */
  get activeCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) if (room.sessions.size > 0) n++;
    return n;
  }

  /** The local room, placing it on an SFU worker (or joining where another node placed it). */
  open(name: string): Promise<LocalRoom> {
    const known = this.get(name);
    if (known) return Promise.resolve(known);
    let pending = this.opening.get(name);
    if (!pending) {
      pending = this.place(name).finally(() => this.opening.delete(name));
      this.opening.set(name, pending);
    }
    return pending;
  }

  private async place(name: string): Promise<LocalRoom> {
    const { store, pool, logger } = this.ctx;
    for (let attempt = 0; attempt < 2; attempt++) {
      let placement = await store.placement(name);
      let placedHere = false;
      if (!placement) {
        const choice = await pool.leastLoaded();
        const mine: Placement = {
          sid: newId('RM_'),
          address: choice.address,
          workerId: choice.workerId,
          createdAt: Date.now(),
        };
        placement = await store.place(name, mine);
        placedHere = placement.sid === mine.sid;
      }
      const sfu = pool.client(placement.address);
      try {
        // The pool opens the worker's event stream before the router exists, so no event is missed.
        await sfu.createRouter({ roomId: name });
      } catch (err) {
        const gone =
          err instanceof AppError &&
          (err.code === AppCode.UNAVAILABLE || err.code === AppCode.DEADLINE_EXCEEDED);
        if (gone && attempt === 0) {
          logger.warn({ room: name, sfu: placement.address }, 'placed SFU worker unavailable; placing again');
          await store.unplace(name, placement);
          continue;
        }
        throw err;
      }
      if (placedHere) this.report(name, placement.sid, RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED, '');
      const room = new LocalRoom(name, placement, sfu);
      const subscribing = this.ctx.bus.subscribe(roomChannel(name), (message) => {
        const parsed = roomEventSchema.safeParse(message);
        if (parsed.success) this.ctx.roomBus.onEvent(room, parsed.data);
        else
          logger.warn(
            { room: name, issues: parsed.error.issues.slice(0, 3) },
            'ignoring a malformed room event',
          );
      });
      room.unsubscribe = await busReached(subscribing);
      this.rooms.set(name, room);
      this.egress.watch(room);
      // Best effort: the list only lets the other nodes close this room's router if this node dies.
      await this.ctx.store
        .servesRoom(name)
        .catch((err: unknown) => logger.warn({ err, room: name }, 'listing the room under this node failed'));
      return room;
    }
    throw AppError.unavailable('no SFU worker is available');
  }

  /** A session left: close the room after the grace if nobody here is left. */
  maybeEmpty(room: LocalRoom): void {
    if (room.closed || room.sessions.size > 0 || room.emptyTimer || this.ctx.flags.closing) return;
    room.emptiedAtMs ??= Date.now();
    room.emptyTimer = setTimeout(() => {
      room.emptyTimer = undefined;
      this.closeIfEmpty(room).catch((err: unknown) => {
        this.ctx.logger.warn({ err, room: room.name }, 'closing empty room failed');
        // Try again after another grace: a room emptied during a store outage must not keep its router.
        this.maybeEmpty(room);
      });
    }, this.ctx.config.ROOM_EMPTY_GRACE_MS);
    room.emptyTimer.unref();
  }

  cancelEmpty(room: LocalRoom): void {
    if (room.emptyTimer) clearTimeout(room.emptyTimer);
    room.emptyTimer = undefined;
    room.emptiedAtMs = undefined;
  }

  private async closeIfEmpty(room: LocalRoom): Promise<void> {
    if (room.closed || room.sessions.size > 0) return;
    const others = await this.elsewhere(room.name);
    if (room.sessions.size > 0) return;
    if (others.length > 0) {
      // Other nodes still serve this room; they close it when they empty.
      await this.forget(room);
      return;
    }
    // The meeting ended when its last person left, not when the grace for coming back ran out.
    await this.shut(room, 'empty', room.emptiedAtMs);
    this.ctx.logger.info({ room: room.name }, 'empty room closed');
  }

  /**
   * Participants of the room on other nodes. With no session here, an entry of this node is one whose
   * removal failed (a store outage) and is still being retried: it must not keep the router alive.
   */
  private async elsewhere(name: string): Promise<ParticipantEntry[]> {
    const entries = await this.ctx.store.participants(name);
    return entries.filter((e) => e.nodeId !== this.ctx.store.nodeId);
  }

  /**
   * Stops serving a room here (its router and shared state stay for other nodes, unless `closing`: the
   * caller closes the router next).
   */
  async forget(room: LocalRoom, closing = false): Promise<void> {
    if (room.closed) return;
    room.closed = true;
    this.cancelEmpty(room);
    this.egress.unwatch(room, closing);
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    this.ctx.departures.updateGauges();
    // Best effort: a bus outage must not keep the room (and its router) from closing.
    await Promise.all([
      room
        .unsubscribe?.()
        .catch((err: unknown) =>
          this.ctx.logger.warn({ err, room: room.name }, 'unsubscribing room events failed'),
        ),
      this.ctx.store
        .stoppedServing(room.name)
        .catch((err: unknown) =>
          this.ctx.logger.warn({ err, room: room.name }, 'unlisting the room from this node failed'),
        ),
    ]);
  }

  /** Closes the router and drops the shared state of a room nobody is in. */
  async shut(room: LocalRoom, reason: string, endedAtMs?: number): Promise<void> {
    await this.forget(room, true);
    await this.closeRouter(room.name, room.placement, reason, endedAtMs);
  }

  async closeRouter(name: string, placement: Placement, reason: string, endedAtMs?: number): Promise<void> {
    const { pool, store, logger } = this.ctx;
    const closed = await pool
      .client(placement.address)
      .closeRouter({ roomId: name })
      .catch((err: unknown) => logger.warn({ err, room: name }, 'CloseRouter failed'));
    // The router's final total goes to control before the room's end (reports are sent in order).
    this.egress.closed(name, placement.sid, closed?.stats?.bytesSent);
    await store.unplace(name, placement);
    await store.dropRoom(name);
    this.report(name, placement.sid, RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED, reason, undefined, endedAtMs);
  }

  /** Ends a room for everyone on every node (a host or control asked). */
  async end(name: string, placement: Placement, reason: RoomEndReason, why: string): Promise<void> {
    // Tokens issued before now may not start the room again, on any node.
    await this.ctx.store.markEnded(name, Date.now());
    // Every node (this one included) ends its sessions on the bus message; the router goes here.
    await this.ctx.roomBus.publish(name, { t: 'ended', reason });
    await this.closeRouter(name, placement, why);
  }

  /** Ends the sessions of a room on this node after an `ended` event. */
  endLocal(room: LocalRoom, reason: RoomEndReason): void {
    for (const session of [...room.sessions.values()]) {
      session.send(push('roomEnded', { reason }));
      this.ctx.departures.close(session, DisconnectReason.DISCONNECT_REASON_ROOM_ENDED, {
        notify: false,
        closePeer: false,
      });
    }
    this.forget(room).catch((err: unknown) =>
      this.ctx.logger.warn({ err, room: room.name }, 'forgetting an ended room failed'),
    );
  }

  /** The worker holding a room died or shut down: everyone here reconnects (and is placed again). */
  lost(room: LocalRoom, reason: RouterClosedReason): void {
    if (room.closed) return;
    this.ctx.logger.warn(
      { room: room.name, sfu: room.placement.address, reason: RouterClosedReason[reason] },
      'router lost',
    );
    for (const session of [...room.sessions.values()]) {
      session.send(
        push('leave', {
          reason: DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE,
          action: LeaveAction.LEAVE_ACTION_RECONNECT,
        }),
      );
      this.ctx.departures.close(session, DisconnectReason.DISCONNECT_REASON_MEDIA_FAILURE, {
        closePeer: false,
      });
    }
    this.forget(room)
      .then(() => this.ctx.store.unplace(room.name, room.placement))
      .catch((err: unknown) => this.ctx.logger.warn({ err, room: room.name }, 'dropping a lost room failed'));
  }

  /** The event stream of a worker ended: every room placed there is lost. */
  workerLost(address: string): void {
    for (const room of this.all())
      if (room.placement.address === address)
        this.lost(room, RouterClosedReason.ROUTER_CLOSED_REASON_WORKER_DIED);
  }

  /** At shutdown: close rooms no other node serves, without waiting for the grace. */
  async closeAll(): Promise<void> {
    await Promise.all(
      this.all().map(async (room) => {
        this.cancelEmpty(room);
        const others = await this.elsewhere(room.name).catch(() => []);
        if (others.length === 0) await this.shut(room, 'shutdown').catch(() => undefined);
        else await this.forget(room);
      }),
    );
  }

  report(
    roomName: string,
    roomSid: string,
    type: RoomEventType,
    reason: string,
    extra?: { identity: string; name: string; count: number },
    occurredAtMs?: number,
  ): void {
    this.ctx.reporter.report({
      roomName,
      roomSid,
      type,
      participantIdentity: extra?.identity ?? '',
      participantName: extra?.name ?? '',
      participantCount: extra?.count ?? 0,
      reason,
      ...(occurredAtMs === undefined ? {} : { occurredAtMs }),
    });
  }
}
