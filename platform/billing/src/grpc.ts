import { AppError, type GrpcServer, type Logger } from '@origo/kit';
import { BillingServiceService, type UsageEvent as WireEvent } from '@origo/proto/billing-rpc';
import type { PlanStore } from './plans.js';
import { decideJoin, decideRecording } from './quota.js';
import type { RecordingUsageEvent } from './recording-usage.js';
import type { UsageEvent, UsageStore } from './usage.js';

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Most events in one RecordUsageEvents call. */
export const MAX_USAGE_BATCH = 1000;

const ROOM_TYPES = new Set([
  'room_started',
  'room_ended',
  'participant_joined',
  'participant_left',
  'egress',
]);
const RECORDING_TYPES = new Set([
  'recording_started',
  'recording_ready',
  'recording_failed',
  'recording_deleted',
]);

/** One wire event as a room or recording event, or the reason it is not valid. */
export function parseUsageEvent(
  e: WireEvent,
): { room: UsageEvent } | { recording: RecordingUsageEvent } | { invalid: string } {
  if (e.eventId.length < 1 || e.eventId.length > 128)
    return { invalid: 'event_id must be 1 to 128 characters' };
  if (!ID.test(e.orgId)) return { invalid: 'org_id must be an organization id' };
  if (e.meetingId.length < 1 || e.meetingId.length > 128)
    return { invalid: 'meeting_id must be 1 to 128 characters' };
  if (!Number.isSafeInteger(e.occurredAtMs) || e.occurredAtMs <= 0)
    return { invalid: 'occurred_at_ms must be a positive time' };
  if (ROOM_TYPES.has(e.type)) {
    if (e.roomSid.length > 128) return { invalid: 'room_sid must be at most 128 characters' };
    if (e.identity.length > 256) return { invalid: 'identity must be at most 256 characters' };
    if (e.type === 'egress' && (!Number.isSafeInteger(e.bytes) || e.bytes < 0))
      return { invalid: 'bytes must be 0 or more' };
    return {
      room: {
        eventId: e.eventId,
        orgId: e.orgId,
        meetingId: e.meetingId,
        roomSid: e.roomSid,
        type: e.type as UsageEvent['type'],
        identity: e.identity,
        occurredAt: e.occurredAtMs,
        ...(e.type === 'egress' ? { bytes: e.bytes } : {}),
      },
    };
  }
  if (RECORDING_TYPES.has(e.type)) {
    if (!ID.test(e.recordingId)) return { invalid: 'recording_id must be a recording id' };
    if (!Number.isSafeInteger(e.bytes) || e.bytes < 0) return { invalid: 'bytes must be 0 or more' };
    if (!Number.isSafeInteger(e.durationMs) || e.durationMs < 0)
      return { invalid: 'duration_ms must be 0 or more' };
    return {
      recording: {
        eventId: e.eventId,
        orgId: e.orgId,
        meetingId: e.meetingId,
        recordingId: e.recordingId,
        type: e.type as RecordingUsageEvent['type'],
        occurredAt: e.occurredAtMs,
        bytes: e.bytes,
        durationMs: e.durationMs,
      },
    };
  }
  return { invalid: `unknown event type ${JSON.stringify(e.type.slice(0, 40))}` };
}

/** The calendar month (UTC) `now` is in, as days: recording hours are counted per month. */
function monthOf(now: Date): { fromDay: string; toDay: string; nextDay: string } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    fromDay: day(new Date(Date.UTC(y, m, 1))),
    toDay: day(now),
    nextDay: day(new Date(Date.UTC(y, m + 1, 1))),
  };
}

/**
 * Registers BillingService on a kit gRPC server: CheckJoin and GetOrgPlan (control), CheckRecording
 * (recording), RecordUsageEvents (control's and recording's outboxes).
 */
export function addBillingGrpc(
  server: GrpcServer,
  deps: {
    plans: PlanStore;
    usage: UsageStore;
    logger: Logger;
    now?: () => Date;
    onRefused?: (limit: string) => void;
    onMetered?: (result: 'applied' | 'duplicate' | 'invalid' | 'failed', count: number) => void;
  },
): void {
  const now = deps.now ?? (() => new Date());
  server.add(BillingServiceService, {
    async checkJoin(request) {
      const violations: Array<{ field: string; message: string }> = [];
      if (!ID.test(request.orgId))
        violations.push({ field: 'org_id', message: 'must be an organization id' });
      if (!ID.test(request.meetingId))
        violations.push({ field: 'meeting_id', message: 'must be a meeting id' });
      if (violations.length > 0) throw AppError.invalid('Invalid join check', violations);
      const { plan } = await deps.plans.ofOrg(request.orgId);
      const decision = decideJoin(plan, request.participantCount);
      if (!decision.allowed) deps.onRefused?.(decision.limit);
      return {
        ...decision,
        planId: plan.id,
        planName: plan.name,
        maxParticipants: plan.maxParticipants,
        maxMeetingMinutes: plan.maxMeetingMinutes,
        recordingAllowed: plan.recordingAllowed,
      };
    },
    async getOrgPlan(request) {
      if (!ID.test(request.orgId))
        throw AppError.invalid('Invalid plan request', [
          { field: 'org_id', message: 'must be an organization id' },
        ]);
      const { plan } = await deps.plans.ofOrg(request.orgId);
      return {
        planId: plan.id,
        planName: plan.name,
        maxParticipants: plan.maxParticipants,
        maxMeetingMinutes: plan.maxMeetingMinutes,
        recordingAllowed: plan.recordingAllowed,
      };
    },
    async checkRecording(request) {
      const violations: Array<{ field: string; message: string }> = [];
      if (!ID.test(request.orgId))
        violations.push({ field: 'org_id', message: 'must be an organization id' });
      if (!ID.test(request.meetingId))
        violations.push({ field: 'meeting_id', message: 'must be a meeting id' });
      if (violations.length > 0) throw AppError.invalid('Invalid recording check', violations);
      const { plan } = await deps.plans.ofOrg(request.orgId);
      const month = monthOf(now());
      const recordingMsUsed = await deps.usage.recordings.recordingMsBetween(
        request.orgId,
        month.fromDay,
        month.toDay,
      );
      const storageBytesUsed = await deps.usage.recordings.storedBytes(request.orgId);
      const decision = decideRecording(plan, {
        recordingMsUsed,
        storageBytesUsed,
        nextPeriodDay: month.nextDay,
      });
      if (!decision.allowed) deps.onRefused?.(decision.limit);
      return {
        ...decision,
        planId: plan.id,
        planName: plan.name,
        recordingHours: plan.recordingHours,
        recordingMsUsed,
        storageGb: plan.storageGb,
        storageBytesUsed,
      };
    },
    async recordUsageEvents(request) {
      if (request.events.length > MAX_USAGE_BATCH)
        throw AppError.invalid('Too many usage events', [
          { field: 'events', message: `at most ${MAX_USAGE_BATCH} per call` },
        ]);
      const rooms: UsageEvent[] = [];
      const recordings: RecordingUsageEvent[] = [];
      let invalid = 0;
      for (const e of request.events) {
        const parsed = parseUsageEvent(e);
        if ('room' in parsed) rooms.push(parsed.room);
        else if ('recording' in parsed) recordings.push(parsed.recording);
        else {
          invalid += 1;
          deps.logger.warn(
            { event_id: e.eventId.slice(0, 128), type: e.type.slice(0, 40), reason: parsed.invalid },
            'skipping a usage event that is not valid',
          );
        }
      }
      deps.onMetered?.('invalid', invalid);
      try {
        const applied =
          (await deps.usage.recordBatch(rooms)).size +
          (await deps.usage.recordings.recordBatch(recordings)).size;
        const duplicates = rooms.length + recordings.length - applied;
        deps.onMetered?.('applied', applied);
        deps.onMetered?.('duplicate', duplicates);
        return { applied, duplicates, invalid };
      } catch (err) {
        deps.onMetered?.('failed', rooms.length + recordings.length);
        deps.logger.error({ err, events: request.events.length }, 'could not meter usage events');
        throw err;
      }
    },
  });
}
