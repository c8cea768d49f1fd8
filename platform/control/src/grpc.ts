import { AppError, type GrpcServer } from '@origo/kit';
import { ControlServiceService, RoomEventType, type ReportRoomEventRequest } from '@origo/proto/control-rpc';
import { SIGNALING_ACTOR } from './audit.js';
import { isWellFormedId, type MeetingId } from './ids.js';
import type { JoinTokenSigner } from './join-token.js';
import type { MeetingStore, RoomEventKind } from './meetings.js';
import { removedError, type RemovalStore } from './removals.js';

const TYPES: Partial<Record<RoomEventType, RoomEventKind>> = {
  [RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED]: 'room_started',
  [RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED]: 'room_ended',
  [RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED]: 'participant_joined',
  [RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT]: 'participant_left',
  [RoomEventType.ROOM_EVENT_TYPE_EGRESS]: 'egress',
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
  if (request.participantIdentity.length > 256)
    violations.push({ field: 'participant_identity', message: 'is too long' });
  if (request.participantName.length > 256)
    violations.push({ field: 'participant_name', message: 'is too long' });
  if (!Number.isSafeInteger(request.bytesSent) || request.bytesSent < 0)
    violations.push({ field: 'bytes_sent', message: 'must be a whole number of bytes' });
  if (type === 'egress' && request.roomSid === '')
    violations.push({ field: 'room_sid', message: 'is needed for an egress reading' });
  if (violations.length > 0 || type === undefined) throw AppError.invalid('Invalid room event', violations);
  return type;
}

/**
 * Registers ControlService (ReportRoomEvent, RefreshJoinToken, GetMeeting) on a kit gRPC server. A new
 * room event is written into the outbox for billing in the transaction that records it; `onMetered` then
 * asks the outbox pump to hand it over.
 */
export function addControlGrpc(
  server: GrpcServer,
  store: MeetingStore,
  removals: RemovalStore,
  signer: JoinTokenSigner,
  onMetered?: () => void,
): void {
  server.add(ControlServiceService, {
    async getMeeting(request) {
      if (!isWellFormedId(request.meetingId, 'mtg'))
        throw AppError.invalid('Invalid meeting id', [
          { field: 'meeting_id', message: 'must be a meeting id' },
        ]);
      const meeting = await store.get(request.meetingId as MeetingId);
      if (meeting === null) throw AppError.notFound('Meeting');
      return { meetingId: meeting.id, orgId: meeting.orgId, hostId: meeting.hostId, title: meeting.title };
    },
    async refreshJoinToken(request) {
      if (typeof request.token !== 'string' || request.token.length === 0 || request.token.length > 8192)
        throw AppError.invalid('token must be a join token');
      const input = await signer.verifyForRefresh(request.token);
      const meeting = isWellFormedId(input.room, 'mtg') ? await store.get(input.room as MeetingId) : null;
      if (meeting === null) throw AppError.notFound('Meeting');
      if (meeting.state === 'cancelled' || meeting.state === 'ended')
        throw AppError.precondition(`The meeting is ${meeting.state}`, 'meeting_over');
      // A renewal is a join token too: a removed person gets none.
      if (!input.grants.host && (await removals.isRemoved(meeting.id, input.identity))) throw removedError();
      const issued = await signer.sign(input);
      return { token: issued.token, expiresAtMs: issued.expiresAt.getTime() };
    },
    async reportRoomEvent(request) {
      const type = validate(request);
      const result = await store.applyRoomEvent(
        {
          eventId: request.eventId,
          meetingId: request.roomName as MeetingId,
          roomSid: request.roomSid,
          type,
          identity: request.participantIdentity,
          name: request.participantName,
          occurredAt: new Date(request.occurredAtMs),
          participantCount: request.participantCount,
          reason: request.reason,
          bytesSent: request.bytesSent,
        },
        SIGNALING_ACTOR,
      );
      if (result.metered) onMetered?.();
      return { applied: result.applied, meetingState: result.state };
    },
  });
}
