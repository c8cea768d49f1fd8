// Quota decisions: what an organization's plan lets one more participant do.
import type { PlanRow } from './db/schema.js';

export interface JoinDecision {
  allowed: boolean;
  /** The limit that refused the join (`max_participants`); empty when allowed. */
  limit: string;
  /** For the person joining: which limit, and how to raise it; empty when allowed. */
  message: string;
}

/** Refuses the join that would take a meeting past the plan's participant cap. */
export function decideJoin(plan: PlanRow, participantCount: number): JoinDecision {
  if (participantCount >= plan.maxParticipants) {
    return {
      allowed: false,
      limit: 'max_participants',
      message:
        `This meeting has reached the ${plan.maxParticipants}-participant limit of the organization's ` +
        `${plan.name} plan. An organization admin can raise it by moving to a larger plan (Admin, Billing).`,
    };
  }
  return { allowed: true, limit: '', message: '' };
}
