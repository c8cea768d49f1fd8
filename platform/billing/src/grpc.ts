import { AppError, type GrpcServer } from '@origo/kit';
import { BillingServiceService } from '@origo/proto/billing-rpc';
import type { PlanStore } from './plans.js';
import { decideJoin } from './quota.js';

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Registers BillingService (CheckJoin, GetOrgPlan) on a kit gRPC server. Control is the caller. */
export function addBillingGrpc(
  server: GrpcServer,
  deps: { plans: PlanStore; onRefused?: (limit: string) => void },
): void {
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
  });
}
