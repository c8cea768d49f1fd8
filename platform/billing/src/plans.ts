// Plans and subscriptions: what an organization may do, and what it pays each month.
import { asc, eq } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import { writeAudit, type Actor, type Db } from './audit.js';
import { plans, subscriptions, type PlanRow, type SubscriptionRow } from './db/schema.js';

/** The plan of every organization that has no subscription row. */
export const DEFAULT_PLAN_ID = 'free';

export interface PlanInput {
  name: string;
  maxParticipants: number;
  maxMeetingMinutes: number;
  recordingAllowed: boolean;
  recordingHours: number;
  storageGb: number;
  priceMonthlyCents: number;
  currency: string;
  active: boolean;
  /** Unit prices beyond what the plan includes, in millionths of the smallest currency unit; default 0. */
  overageParticipantMinuteMicrocents?: number;
  overageMeetingMinuteMicrocents?: number;
  overageRecordingMinuteMicrocents?: number;
  overageStorageGbDayMicrocents?: number;
}

/**
 * The plans a new installation starts with, in the spirit of Zoom's: a free plan with 40-minute
 * meetings of up to 100 people and no recording, and paid plans with higher caps. The superadmin edits
 * them over REST; they are inserted only when missing, so edits survive restarts.
 */
export const SEED_PLANS: ReadonlyArray<PlanInput & { id: string }> = [
  {
    id: 'free',
    name: 'Free',
    maxParticipants: 100,
    maxMeetingMinutes: 40,
    recordingAllowed: false,
    recordingHours: 0,
    storageGb: 0,
    priceMonthlyCents: 0,
    currency: 'USD',
    active: true,
  },
  {
    id: 'pro',
    name: 'Pro',
    maxParticipants: 300,
    maxMeetingMinutes: 30 * 60,
    recordingAllowed: true,
    recordingHours: 20,
    storageGb: 5,
    priceMonthlyCents: 1499,
    currency: 'USD',
    active: true,
  },
  {
    id: 'business',
    name: 'Business',
    maxParticipants: 1000,
    maxMeetingMinutes: 0,
    recordingAllowed: true,
    recordingHours: 200,
    storageGb: 100,
    priceMonthlyCents: 2999,
    currency: 'USD',
    active: true,
  },
];

export interface OrgPlan {
  orgId: string;
  plan: PlanRow;
  /** Null while the organization is on the default plan without a row of its own. */
  subscription: SubscriptionRow | null;
}

export class PlanStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Inserts the seed plans that do not exist yet. */
  async seed(): Promise<void> {
    for (const plan of SEED_PLANS) {
      await this.db
        .insert(plans)
        .values({ ...plan, createdBy: 'system', updatedBy: 'system' })
        .onConflictDoNothing();
    }
  }

  list(): Promise<PlanRow[]> {
    return this.db.select().from(plans).orderBy(asc(plans.priceMonthlyCents), asc(plans.id));
  }

  async get(id: string): Promise<PlanRow> {
    const [row] = await this.db.select().from(plans).where(eq(plans.id, id));
    if (row === undefined) throw AppError.notFound('Plan');
    return row;
  }

  /** Creates a plan; ALREADY_EXISTS (409) when the id is taken. */
  async create(id: string, input: PlanInput, actor: Actor): Promise<PlanRow> {
    return this.db.transaction(async (tx) => {
      const at = this.now();
      const [row] = await tx
        .insert(plans)
        .values({ id, ...input, createdAt: at, updatedAt: at, createdBy: actor.id, updatedBy: actor.id })
        .onConflictDoNothing()
        .returning();
      if (row === undefined) throw AppError.conflict(`A plan with the id ${id} already exists`);
      await writeAudit(tx, actor, {
        action: 'plan.created',
        entity: 'plan',
        entityId: id,
        orgId: null,
        before: null,
        after: row,
      });
      return row;
    });
  }

  /** Creates or replaces a plan (PUT semantics). */
  async put(id: string, input: PlanInput, actor: Actor): Promise<PlanRow> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(plans).where(eq(plans.id, id)).for('update');
      const at = this.now();
      const [after] =
        before === undefined
          ? await tx
              .insert(plans)
              .values({
                id,
                ...input,
                createdAt: at,
                updatedAt: at,
                createdBy: actor.id,
                updatedBy: actor.id,
              })
              .returning()
          : await tx
              .update(plans)
              .set({ ...input, updatedAt: at, updatedBy: actor.id })
              .where(eq(plans.id, id))
              .returning();
      if (after === undefined) throw AppError.internal('plan write returned no row');
      await writeAudit(tx, actor, {
        action: before === undefined ? 'plan.created' : 'plan.updated',
        entity: 'plan',
        entityId: id,
        orgId: null,
        before: before ?? null,
        after,
      });
      return after;
    });
  }

  async ofOrg(orgId: string): Promise<OrgPlan> {
    const [row] = await this.db
      .select({ subscription: subscriptions, plan: plans })
      .from(subscriptions)
      .innerJoin(plans, eq(plans.id, subscriptions.planId))
      .where(eq(subscriptions.orgId, orgId));
    if (row !== undefined) return { orgId, plan: row.plan, subscription: row.subscription };
    return { orgId, plan: await this.get(DEFAULT_PLAN_ID), subscription: null };
  }

  /** Moves an organization to a plan; the new period starts now. */
  async subscribe(orgId: string, planId: string, actor: Actor): Promise<OrgPlan> {
    return this.db.transaction(async (tx) => {
      const [plan] = await tx.select().from(plans).where(eq(plans.id, planId));
      if (plan === undefined) throw AppError.notFound('Plan');
      if (!plan.active) throw AppError.precondition('The plan is no longer offered', 'plan_inactive');
      const [before] = await tx
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.orgId, orgId))
        .for('update');
      const at = this.now();
      const values = { planId, periodStart: at, periodEnd: null, updatedAt: at, updatedBy: actor.id };
      const [after] =
        before === undefined
          ? await tx
              .insert(subscriptions)
              .values({ orgId, ...values, createdAt: at, createdBy: actor.id })
              .returning()
          : await tx.update(subscriptions).set(values).where(eq(subscriptions.orgId, orgId)).returning();
      if (after === undefined) throw AppError.internal('subscription write returned no row');
      await writeAudit(tx, actor, {
        action: 'subscription.changed',
        entity: 'subscription',
        entityId: orgId,
        orgId,
        before: before ?? null,
        after,
      });
      return { orgId, plan, subscription: after };
    });
  }
}
