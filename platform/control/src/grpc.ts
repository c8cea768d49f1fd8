import { AppError, type GrpcServer } from '@origo/kit';
import { ControlServiceService, RoomEventType, type ReportRoomEventRequest } from '@origo/proto/control-rpc';
import { SIGNALING_ACTOR } from './audit.js';
import { isWellFormedId, type MeetingId } from './ids.js';
import type { MeetingStore } from './meetings.js';

const TYPES: Partial<
  Record<RoomEventType, 'room_started' | 'room_ended' | 'participant_joined' | 'participant_left'>
> = {
  [RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED]: 'room_started',
  [RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED]: 'room_ended',
  [RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED]: 'participant_joined',
  [RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT]: 'participant_left',
};

function validate(request: ReportRoomEventRequest) {
  const violations: Array<{ field: string; message: string }> = [];
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(request.eventId))
    violations.push({ field: 'event_id', message: 'must be 1 to 128 plain characters' });
  if (!isWellFormedId(request.roomName, 'mtg'))
    violations.push({ field: 'room_name', message: 'must be a meeting id' });
  const type = TYPES[request.type];
  if (type === undefined) violations.push({ field: 'type', message: 'must be a known room event type' });
  if (!Number.isFinite(request.occurredAtMs) || request.occurredAtMs <= 0)
    violations.push({ field: 'occurred_at_ms', message: 'must be set' });
  if (request.roomSid.length > 128) violations.push({ field: 'room_sid', message: 'is too long' });
  if (violations.length > 0 || type === undefined) throw AppError.invalid('Invalid room event', violations);
  return type;
}

/** Registers ControlService (ReportRoomEvent) on a kit gRPC server. */
export function addControlGrpc(server: GrpcServer, store: MeetingStore): void {
  server.add(ControlServiceService, {
    async reportRoomEvent(request) {
      const type = validate(request);
      const result = await store.applyRoomEvent(
        {
          eventId: request.eventId,
          meetingId: request.roomName as MeetingId,
          roomSid: request.roomSid,
          type,
          occurredAt: new Date(request.occurredAtMs),
          participantCount: request.participantCount,
          reason: request.reason,
        },
        SIGNALING_ACTOR,
      );
      return { applied: result.applied, meetingState: result.state };
    },
  });
}
