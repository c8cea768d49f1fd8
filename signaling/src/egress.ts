// A room's egress for billing: the bytes its SFU router has sent, read every EGRESS_SAMPLE_MS while this node
// serves the room and once more from CloseRouter's answer when the router closes, each reported to control as
// a ROOM_EVENT_TYPE_EGRESS event. A reading is the router's running total, so its event id is the room
// instance and that total: a reading sent twice (a retry, two nodes serving the room, a restarted node) is one
// event, and billing takes the differences between readings, whatever order they arrive in.
import type { NodeContext } from './context.js';
import { RoomEventType } from './reporter.js';
import type { LocalRoom } from './room.js';

/** The idempotency key of one egress reading of a room instance (`sid`: its placement's server id). */
export function egressEventId(roomName: string, sid: string, bytesSent: number): string {
  return `egress:${roomName}:${sid}:${bytesSent}`;
}

export class EgressReporter {
  /** The last total reported per room instance, so an idle room reports nothing new. */
  private readonly last = new Map<string, number>();
  private readonly timers = new Map<LocalRoom, NodeJS.Timeout>();

  constructor(private readonly ctx: Pick<NodeContext, 'config' | 'reporter' | 'logger'>) {}

  /** Reports a reading of the router of room `name` placed as `sid`, unless it is the last one again. */
  report(roomName: string, sid: string, bytesSent: number): void {
    const key = `${roomName}/${sid}`;
    // Nothing sent yet (or nothing new) is nothing to meter: billing counts from zero anyway.
    if (bytesSent === 0 || this.last.get(key) === bytesSent) return;
    this.last.set(key, bytesSent);
    this.ctx.reporter.report({
      eventId: egressEventId(roomName, sid, bytesSent),
      roomName,
      roomSid: sid,
      type: RoomEventType.ROOM_EVENT_TYPE_EGRESS,
      participantIdentity: '',
      participantCount: 0,
      reason: '',
      bytesSent,
    });
  }

  /** Starts reading the room's router periodically while this node serves it. */
  watch(room: LocalRoom): void {
    if (this.timers.has(room)) return;
    const timer = setInterval(() => {
      this.sample(room).catch((err: unknown) =>
        // The next reading (or the final one at close) carries the total; nothing is lost but timeliness.
        this.ctx.logger.debug({ err, room: room.name }, 'reading the room egress failed'),
      );
    }, this.ctx.config.EGRESS_SAMPLE_MS);
    timer.unref();
    this.timers.set(room, timer);
  }

  /**
   * Stops reading a room this node no longer serves (the node that closes its router reports the rest).
   * `closing`: this node closes the router next, and `closed` compares the final total with the last
   * reading, so a room idle since then reports nothing twice.
   */
  unwatch(room: LocalRoom, closing = false): void {
    const timer = this.timers.get(room);
    if (timer !== undefined) clearInterval(timer);
    this.timers.delete(room);
    if (!closing) this.last.delete(`${room.name}/${room.placement.sid}`);
  }

  /** The router closed with this final total: report it and forget the room instance. */
  closed(roomName: string, sid: string, bytesSent: number | undefined): void {
    if (bytesSent !== undefined) this.report(roomName, sid, bytesSent);
    this.last.delete(`${roomName}/${sid}`);
  }

  private async sample(room: LocalRoom): Promise<void> {
    if (room.closed) return;
    const stats = await room.sfu.getStats({ roomId: room.name });
    const router = stats.routers.find((r) => r.roomId === room.name);
    if (router === undefined || room.closed) return;
    this.report(room.name, room.placement.sid, router.bytesSent);
  }
}
