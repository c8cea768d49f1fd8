// The recording service's side of billing: may a recording start under the organization's plan, and the
// recording events billing meters (from the outbox, see store.ts). The check has a short deadline and
// fails open like control's join check: when billing does not answer, the recording starts and a warning
// is logged, because a billing outage must not stop recordings (metering still counts them once billing
// takes the outbox rows). Handing events over never fails open: the rows stay until billing takes them.
import { AppError, createGrpcClient, ErrorCode, unary, type Logger } from '@origo/kit';
import { BillingServiceClient, type UsageEvent } from '@origo/proto/billing-rpc';

export interface RecordingQuota {
  allowed: boolean;
  /** The limit that refused it: `recording_allowed`, `recording_hours` or `storage_gb`. */
  limit: string;
  /** For the host: the limit and how to raise it. */
  message: string;
  planName: string;
}

export interface RecordingBilling {
  /** Null when billing did not answer in time (fail open). */
  checkRecording(input: { orgId: string; meetingId: string }): Promise<RecordingQuota | null>;
  /** Hands usage events to billing's metering; rejects when billing did not take them all. */
  recordUsage(events: UsageEvent[]): Promise<void>;
  close(): void;
}

/** Deadline of the plan check when a recording starts. */
export const RECORDING_CHECK_DEADLINE_MS = 800;
/** Deadline of handing a batch of usage events to billing. */
const USAGE_DEADLINE_MS = 10_000;

export function createGrpcRecordingBilling(options: {
  target: () => Promise<string>;
  logger: Logger;
  deadlineMs?: number;
}): RecordingBilling {
  const deadlineMs = options.deadlineMs ?? RECORDING_CHECK_DEADLINE_MS;
  let client: BillingServiceClient | undefined;
  const connect = async (ms: number): Promise<BillingServiceClient> => {
    if (client !== undefined) return client;
    const address = await withDeadline(options.target(), ms);
    return (client ??= createGrpcClient(BillingServiceClient, address, { defaultDeadlineMs: deadlineMs }));
  };
  // grpc-js backs reconnects off on its own schedule (up to minutes); the callers' retries decide instead.
  const reset = (c: BillingServiceClient | undefined): void => {
    if (c !== undefined && client === c) {
      client = undefined;
      c.close();
    }
  };
  return {
    async checkRecording(input) {
      let c: BillingServiceClient | undefined;
      try {
        c = await connect(deadlineMs);
        return await unary(c.checkRecording.bind(c), input, { deadlineMs });
      } catch (err) {
        reset(c);
        options.logger.warn(
          { err, org_id: input.orgId, meeting_id: input.meetingId },
          'billing did not answer a recording check; starting it without a plan check (fail open)',
        );
        return null;
      }
    },
    async recordUsage(events) {
      const c = await connect(USAGE_DEADLINE_MS);
      try {
        await unary(c.recordUsageEvents.bind(c), { events }, { deadlineMs: USAGE_DEADLINE_MS });
      } catch (err) {
        reset(c);
        throw err;
      }
    },
    close() {
      client?.close();
    },
  };
}

/** The refusal a host gets when the plan does not let the recording start (as control's join refusal). */
export function recordingRefused(quota: RecordingQuota): AppError {
  return new AppError(ErrorCode.RESOURCE_EXHAUSTED, quota.message, {
    reason: `plan_${quota.limit}`,
    // Not a rate limit: retrying does not help until the plan changes or recordings are deleted.
    httpStatus: 403,
  });
}

/** The address lookup (the AddressBook waits for billing to start) is bounded like the call. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no billing address within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
