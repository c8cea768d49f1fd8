// Room events between signaling nodes: published on the bus, and carried out for the sessions this node
// holds when they arrive (every node receives every event of the rooms it serves, its own included).
import { LeaveAction, TrackKind, type TrackInfo } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { push } from './responses.js';
import type { LocalRoom } from './room.js';
import { roomChannel, type RoomEvent } from './roomEvents.js';
import { AppError, ErrorCode } from '@origo/kit';
import type { Session } from './session.js';

/** Bus failures become UNAVAILABLE (a clear, retryable error for the client), like the store's. */
export async function busReached<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(ErrorCode.UNAVAILABLE, 'room bus unavailable; retry shortly', { cause: err });
  }
}

export class RoomBus {
  constructor(private readonly ctx: NodeContext) {}

  publish(room: string, event: RoomEvent): Promise<void> {
    return busReached(this.ctx.bus.publish(roomChannel(room), event));
  }

  onEvent(room: LocalRoom, event: RoomEvent): void {
    if (room.closed) return;
    switch (event.t) {
      case 'joined':
        room.broadcast(push('participantJoined', { participant: event.participant }), event.participant.sid);
        return;
      case 'left': {
        // A session of this node is only announced gone by another node (this one removes its sessions
        // before it announces them): this node had stopped beating, and the room no longer lists it.
        const own = room.sessions.get(event.sid);
        if (own) this.ctx.nodeLoss.declaredGone(own);
        room.broadcast(
          push('participantLeft', { participantSid: event.sid, reason: event.reason }),
          event.sid,
        );
        return;
      }
      case 'updated':
        room.broadcast(push('participantUpdated', { participant: event.participant }), event.participant.sid);
        return;
      case 'tracks':
        for (const s of room.others(event.from)) this.tracksChanged(s, event.updated, event.removed);
        return;
      case 'ended':
        this.ctx.rooms.endLocal(room, event.reason);
        return;
      case 'timeLimit': {
        const warning = {
          endsAtMs: event.endsAtMs,
          limitMinutes: event.limitMinutes,
          planName: event.planName,
        };
        // Kept for those who join this node's part of the room later.
        room.timeLimit = warning;
        room.broadcast(push('timeLimitWarning', warning));
        return;
      }
      case 'recording':
        room.broadcast(
          push('recordingChanged', { recording: event.recording, recordingId: event.recordingId }),
        );
        return;
      case 'mute': {
        const target = room.sessions.get(event.target);
        if (target) this.mutedByHost(target, event.trackSid, event.by);
        return;
      }
      case 'remove': {
        const target = room.sessions.get(event.target);
        if (!target) return;
        target.send(push('leave', { reason: event.reason, action: LeaveAction.LEAVE_ACTION_DISCONNECT }));
        this.ctx.departures.close(target, event.reason);
        return;
      }
      case 'chat':
      case 'chatDeleted':
      case 'reaction':
      case 'hands':
      case 'typing':
        this.ctx.chat.onEvent(room, event);
        return;
    }
  }

  private tracksChanged(session: Session, updated: TrackInfo[], removed: string[]): void {
    session.send(push('tracksChanged', { updated, removedTrackSids: removed }));
    for (const sid of removed) session.subscribed.delete(sid);
    if (updated.length > 0)
      session.enqueue('auto-subscribe', () => this.ctx.media.autoSubscribe(session, updated));
  }

  /** A host muted `target`: its microphone (empty track sid) or the named track. */
  private mutedByHost(target: Session, trackSid: string, by: string): void {
    target.enqueue('host mute', async () => {
      const tracks = target.tracks
        .all()
        .filter((t) => (trackSid === '' ? t.kind === TrackKind.TRACK_KIND_AUDIO : t.sid === trackSid));
      for (const track of tracks) {
        if (track.muted) continue;
        await this.ctx.media.setMuted(target, track, true);
        target.send(push('trackMuted', { trackSid: track.sid, muted: true, mutedBySid: by }));
      }
    });
  }
}
