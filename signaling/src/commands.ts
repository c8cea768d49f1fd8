// Host controls published by the control service on the bus (`room-commands`): every node receives each
// command; the first to claim its id carries it out.
import { roomCommandSchema } from '@origo/control/contracts';
import { DisconnectReason, RoomEndReason } from '@origo/proto/signal';
import type { NodeContext } from './context.js';

export class RoomCommands {
  constructor(private readonly ctx: NodeContext) {}

  async onCommand(raw: unknown): Promise<void> {
    const { store, logger, roomBus } = this.ctx;
    const parsed = roomCommandSchema.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring a malformed room command');
      return;
    }
    const cmd = parsed.data;
    if (!(await store.claimCommand(cmd.command_id))) return;
    logger.info(
      { room: cmd.room, type: cmd.type, command_id: cmd.command_id, request_id: cmd.request_id },
      'room command',
    );
    switch (cmd.type) {
      case 'set_room_lock':
        await store.setLocked(cmd.room, cmd.locked);
        return;
      case 'allow_participant':
        await store.allowBack(cmd.room, cmd.identity);
        return;
      case 'end_room': {
        // Even when no node serves the room now: tokens fetched before the end must not start it later.
        await store.markEnded(cmd.room, cmd.issued_at_ms);
        const placement = await store.placement(cmd.room);
        if (!placement) return;
        const byAdmin = cmd.reason === 'host_ended' && cmd.by === 'admin';
        const reason = byAdmin
          ? RoomEndReason.ROOM_END_REASON_ADMIN
          : cmd.reason === 'host_ended'
            ? RoomEndReason.ROOM_END_REASON_ENDED_BY_HOST
            : cmd.reason === 'time_limit'
              ? RoomEndReason.ROOM_END_REASON_TIME_LIMIT
              : RoomEndReason.ROOM_END_REASON_CANCELLED;
        await this.ctx.rooms.end(cmd.room, placement, reason, byAdmin ? 'admin_ended' : cmd.reason);
        return;
      }
      case 'time_limit_warning':
        // To every node serving the room, which tells its participants; the end follows as `end_room`
        // with reason `time_limit`.
        await roomBus.publish(cmd.room, {
          t: 'timeLimit',
          endsAtMs: cmd.ends_at_ms,
          limitMinutes: cmd.limit_minutes,
          planName: cmd.plan_name,
        });
        return;
      case 'recording_changed': {
        // Only a stop of the recording the room shows ends it (a late stop of an older one does not).
        const current = await store.recording(cmd.room);
        if (!cmd.recording && current !== undefined && current !== cmd.recording_id) return;
        await store.setRecording(cmd.room, cmd.recording ? cmd.recording_id : undefined);
        await roomBus.publish(cmd.room, {
          t: 'recording',
          recording: cmd.recording,
          recordingId: cmd.recording ? cmd.recording_id : '',
        });
        return;
      }
      case 'mute_participant':
      case 'remove_participant': {
        if (cmd.type === 'remove_participant') await store.markRemoved(cmd.room, cmd.identity);
        const targets = (await store.participants(cmd.room)).filter((e) => e.info.identity === cmd.identity);
        for (const t of targets) {
          await roomBus.publish(
            cmd.room,
            cmd.type === 'mute_participant'
              ? { t: 'mute', target: t.info.sid, trackSid: cmd.track_sid ?? '', by: '' }
              : {
                  t: 'remove',
                  target: t.info.sid,
                  reason: DisconnectReason.DISCONNECT_REASON_REMOVED_BY_HOST,
                },
          );
        }
        return;
      }
    }
  }
}
