// Quota decisions: what an organization's plan lets one more participant, or one more recording, do.
import type { PlanRow } from './db/schema.js';

export interface JoinDecision {
  allowed: boolean;
  /** The limit that refused the join (`max_participants`); empty when allowed. */
  limit: string;
  /** For the person joining: which limit, and how to raise it; empty when allowed. */
  message: string;
}

/**
 * How a limit is raised, for the refusals: only the platform's operator (superadmin) moves an
 * organization to another plan, in the admin area's "Plan and usage" tab. The same words as the
 * meeting's time-limit notice in the client.
 */
const RAISE = (plan: string) =>
  `To raise it, the organization needs ${plan}, which the operator of this Origo installation sets ` +
  'in Admin, Plan and usage.';

/** Refuses the join that would take a meeting past the plan's participant cap. */
export function decideJoin(plan: PlanRow, participantCount: number): JoinDecision {
  if (participantCount >= plan.maxParticipants) {
    return {
      allowed: false,
      limit: 'max_participants',
      message:
        `This meeting has reached the ${plan.maxParticipants}-participant limit of the organization's ` +
        `${plan.name} plan. ${RAISE('a larger plan')}`,
    };
  }
  return { allowed: true, limit: '', message: '' };
}

/** What an organization used of its recording quota: this month's recording time and its stored bytes. */
export interface RecordingUse {
  recordingMsUsed: number;
  storageBytesUsed: number;
  /** The first day of the next period, `YYYY-MM-DD` (when the recording hours start again). */
  nextPeriodDay: string;
}

const GB = 1e9;

function gb(bytes: number): string {
  return (bytes / GB).toFixed(bytes < 10 * GB ? 2 : 1);
}

/**
 * Refuses a recording when the plan has none, when the recording hours the plan includes this month are
 * used, or when the recordings kept fill the plan's storage. `recording_hours` and `storage_gb` of 0 with
 * recording allowed mean no cap (whatever is used is billed at the plan's overage prices).
 */
export function decideRecording(plan: PlanRow, use: RecordingUse): JoinDecision {
  if (!plan.recordingAllowed) {
    return {
      allowed: false,
      limit: 'recording_allowed',
      message:
        `The organization's ${plan.name} plan does not include recording. ` + RAISE('a plan with recording'),
    };
  }
  if (plan.recordingHours > 0 && use.recordingMsUsed >= plan.recordingHours * 3_600_000) {
    return {
      allowed: false,
      limit: 'recording_hours',
      message:
        `The organization has used the ${plan.recordingHours} recording ` +
        `${plan.recordingHours === 1 ? 'hour' : 'hours'} its ${plan.name} plan ` +
        `includes this month; they start again on ${use.nextPeriodDay}. ${RAISE('a larger plan')}`,
    };
  }
  if (plan.storageGb > 0 && use.storageBytesUsed >= plan.storageGb * GB) {
    return {
      allowed: false,
      limit: 'storage_gb',
      message:
        `The organization's recordings take ${gb(use.storageBytesUsed)} GB of the ${plan.storageGb} GB ` +
        `its ${plan.name} plan includes. Delete recordings that are no longer needed. ` +
        RAISE('a larger plan'),
    };
  }
  return { allowed: true, limit: '', message: '' };
}
