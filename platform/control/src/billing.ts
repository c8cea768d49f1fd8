// Control's side of the billing service: quota checks at join time and the plan's caps for the meeting
// length. Billing is asked over gRPC with a short deadline. When it cannot answer, control fails open:
// the join goes ahead under the meeting's own cap and the time cap is not applied, with a warning logged,
// because a billing outage must not stop meetings. The cost is that an organization can exceed its plan
// while billing is down; the metering still counts what was used.
//
// Room events go the other way through control's outbox: `recordUsage` hands a batch to billing and fails
// when billing does not take it, so the outbox keeps the rows and tries again (never fail open there).
import { createGrpcClient, unary, type Logger } from '@origo/kit';
import { BillingServiceClient, type UsageEvent } from '@origo/proto/billing-rpc';

export interface PlanCaps {
  planId: string;
  planName: string;
  maxParticipants: number;
  /** 0 means no cap. */
  maxMeetingMinutes: number;
}

export interface JoinQuota extends PlanCaps {
  allowed: boolean;
  /** The limit that refused the join, e.g. `max_participants`. */
  limit: string;
  /** For the person joining: the limit and how to raise it. */
  message: string;
}

/** Whether the organization's plan lets a recording start now, and if not, why and how to raise it. */
export interface RecordingQuota {
  allowed: boolean;
  /** The limit that refuses it, e.g. `recording_allowed`; empty when allowed. */
  limit: string;
  /** For the host: the limit and how to raise it; empty when allowed. */
  message: string;
}

export interface BillingQuota {
  /** Null when billing did not answer in time (fail open). */
  checkJoin(input: { orgId: string; meetingId: string; participantCount: number }): Promise<JoinQuota | null>;
  /** Null when billing did not answer in time (fail open). */
  planOf(orgId: string): Promise<PlanCaps | null>;
  /**
   * Whether a host may start a recording under the plan now, so the meeting can say so before a click.
   * Null when billing did not answer in time (the Record button stays; recording asks billing again).
   */
  checkRecording?(input: { orgId: string; meetingId: string }): Promise<RecordingQuota | null>;
  /** Hands usage events to billing's metering; rejects when billing did not take them all. */
  recordUsage?(events: UsageEvent[]): Promise<void>;
  close(): void;
}

/** Deadline of a billing call on the join path. */
export const BILLING_DEADLINE_MS = 800;
/** Deadline of handing a batch of usage events to billing (a transaction of up to 200 events). */
export const USAGE_DEADLINE_MS = 10_000;

export function createGrpcBillingQuota(options: {
  target: () => Promise<string>;
  logger: Logger;
  deadlineMs?: number;
}): BillingQuota {
  const deadlineMs = options.deadlineMs ?? BILLING_DEADLINE_MS;
  let client: BillingServiceClient | undefined;
  const connect = async (): Promise<BillingServiceClient> =>
    (client ??= createGrpcClient(BillingServiceClient, await options.target(), {
      defaultDeadlineMs: deadlineMs,
    }));
  const failOpen = (what: string, err: unknown): null => {
    options.logger.warn(
      { err },
      `billing did not answer ${what}; allowing it without a plan check (fail open)`,
    );
    return null;
  };
  return {
    async checkJoin(input) {
      try {
        const c = await withDeadline(connect(), deadlineMs);
        return await unary(c.checkJoin.bind(c), input, { deadlineMs });
      } catch (err) {
        return failOpen('a join check', err);
      }
    },
    async planOf(orgId) {
      try {
        const c = await withDeadline(connect(), deadlineMs);
        return await unary(c.getOrgPlan.bind(c), { orgId }, { deadlineMs });
      } catch (err) {
        return failOpen('a plan lookup', err);
      }
    },
    async checkRecording(input) {
      try {
        const c = await withDeadline(connect(), deadlineMs);
        const r = await unary(c.checkRecording.bind(c), input, { deadlineMs });
        return { allowed: r.allowed, limit: r.limit, message: r.message };
      } catch (err) {
        return failOpen('a recording check', err);
      }
    },
    async recordUsage(events) {
      const c = await withDeadline(connect(), USAGE_DEADLINE_MS);
      try {
        await unary(c.recordUsageEvents.bind(c), { events }, { deadlineMs: USAGE_DEADLINE_MS });
      } catch (err) {
        // grpc-js backs reconnects off on its own schedule (up to minutes); the outbox's backoff decides
        // instead, so a billing that is back is reached on the next try.
        if (client === c) {
          client = undefined;
          c.close();
        }
        throw err;
      }
    },
    close() {
      client?.close();
    },
  };
}

/** The address lookup (the AddressBook waits for billing to start) is bounded like the call. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no billing address within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
