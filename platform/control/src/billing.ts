// Control's side of the billing service: quota checks at join time and the plan's caps for the meeting
// length. Billing is asked over gRPC with a short deadline. When it cannot answer, control fails open:
// the join goes ahead under the meeting's own cap and the time cap is not applied, with a warning logged,
// because a billing outage must not stop meetings. The cost is that an organization can exceed its plan
// while billing is down; the metering still counts what was used.
import { createGrpcClient, unary, type Logger } from '@origo/kit';
import { BillingServiceClient } from '@origo/proto/billing-rpc';

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

export interface BillingQuota {
  /** Null when billing did not answer in time (fail open). */
  checkJoin(input: { orgId: string; meetingId: string; participantCount: number }): Promise<JoinQuota | null>;
  /** Null when billing did not answer in time (fail open). */
  planOf(orgId: string): Promise<PlanCaps | null>;
  close(): void;
}

/** Deadline of a billing call on the join path. */
export const BILLING_DEADLINE_MS = 800;

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
