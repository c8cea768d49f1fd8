// REST routes of the billing service, behind the gateway under /api/billing. Plans are read by anyone
// signed in and written by the superadmin; an organization's plan is read by its members, its usage by
// its admins; the superadmin moves organizations between plans (no payment provider yet) and reads the
// usage of every organization.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, parseOrThrow } from '@origo/kit';
import { authenticatedRoute, principalOf, requirePermission } from '@origo/auth/client';
import type { Actor } from '../audit.js';
import type { PlanRow } from '../db/schema.js';
import type { Organizations } from '../organizations.js';
import type { OrgPlan, PlanInput, PlanStore } from '../plans.js';
import type { OrgDayUsage, UsageStore } from '../usage.js';

const ID = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 plain characters');
const PLAN_ID = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a slug');
const planParams = z.strictObject({ id: PLAN_ID });
const orgParams = z.strictObject({ orgId: ID });
const MICROCENTS = z.int().min(0).max(2_000_000_000).default(0);
const planBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(80, 'is at most 80 characters'),
  max_participants: z.int().min(2).max(100_000),
  max_meeting_minutes: z
    .int()
    .min(0)
    .max(7 * 24 * 60),
  recording_allowed: z.boolean(),
  recording_hours: z.int().min(0).max(1_000_000).default(0),
  storage_gb: z.int().min(0).max(1_000_000).default(0),
  price_monthly_cents: z.int().min(0).max(100_000_000),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code, such as USD or EUR')
    .default('USD'),
  active: z.boolean().default(true),
  // Unit prices beyond what the plan includes, in millionths of the smallest currency unit (0: free).
  overage_participant_minute_microcents: MICROCENTS,
  overage_meeting_minute_microcents: MICROCENTS,
  overage_recording_minute_microcents: MICROCENTS,
  overage_storage_gb_day_microcents: MICROCENTS,
});
const newPlanBody = planBody.extend({ id: PLAN_ID });
const subscriptionBody = z.strictObject({ plan_id: z.string().min(1).max(40) });
const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const usageQuery = z.strictObject({ from: DAY.optional(), to: DAY.optional() });

/** At most this many days per usage query. */
const MAX_DAYS = 400;

export function planJson(p: PlanRow) {
  return {
    id: p.id,
    name: p.name,
    max_participants: p.maxParticipants,
    max_meeting_minutes: p.maxMeetingMinutes,
    recording_allowed: p.recordingAllowed,
    recording_hours: p.recordingHours,
    storage_gb: p.storageGb,
    price_monthly_cents: p.priceMonthlyCents,
    currency: p.currency,
    active: p.active,
    overage_participant_minute_microcents: p.overageParticipantMinuteMicrocents,
    overage_meeting_minute_microcents: p.overageMeetingMinuteMicrocents,
    overage_recording_minute_microcents: p.overageRecordingMinuteMicrocents,
    overage_storage_gb_day_microcents: p.overageStorageGbDayMicrocents,
    updated_at: p.updatedAt.toISOString(),
    updated_by: p.updatedBy,
  };
}

function planInput(body: z.infer<typeof planBody>): PlanInput {
  return {
    name: body.name,
    maxParticipants: body.max_participants,
    maxMeetingMinutes: body.max_meeting_minutes,
    recordingAllowed: body.recording_allowed,
    recordingHours: body.recording_hours,
    storageGb: body.storage_gb,
    priceMonthlyCents: body.price_monthly_cents,
    currency: body.currency,
    active: body.active,
    overageParticipantMinuteMicrocents: body.overage_participant_minute_microcents,
    overageMeetingMinuteMicrocents: body.overage_meeting_minute_microcents,
    overageRecordingMinuteMicrocents: body.overage_recording_minute_microcents,
    overageStorageGbDayMicrocents: body.overage_storage_gb_day_microcents,
  };
}

/** The caller's own credentials, which billing shows auth when it asks about an organization. */
export function credentialsOf(request: FastifyRequest) {
  return { cookie: request.headers.cookie, authorization: request.headers.authorization };
}

function orgPlanJson(o: OrgPlan) {
  return {
    org_id: o.orgId,
    plan: planJson(o.plan),
    period_start: o.subscription?.periodStart.toISOString() ?? null,
    period_end: o.subscription?.periodEnd?.toISOString() ?? null,
    default_plan: o.subscription === null,
  };
}

function usageJson(u: OrgDayUsage) {
  return {
    org_id: u.orgId,
    day: u.day,
    participant_minutes: Math.ceil(u.participantMs / 60_000),
    meeting_minutes: Math.ceil(u.meetingMs / 60_000),
    participant_ms: u.participantMs,
    meeting_ms: u.meetingMs,
    recording_minutes: Math.ceil(u.recordingMs / 60_000),
    recording_ms: u.recordingMs,
    // GB-days to the millionth (a kilobyte kept for a day), so small recordings still show.
    storage_gb_days: Math.round(u.storageGbDays * 1e6) / 1e6,
    // What the SFU sent to the day's meetings (RTP payload bytes): an estimate of egress, not charged. In GB
    // (10^9 bytes) to the millionth as well, for the charts.
    egress_bytes: u.egressBytes,
    egress_gb: Math.round(u.egressBytes / 1e3) / 1e6,
  };
}

/** The day range of a usage query: default the last 30 days up to today (UTC). */
function range(query: z.infer<typeof usageQuery>, now: Date): { from: string; to: string } {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const from =
    query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  if (!Number.isFinite(days) || days < 0 || days >= MAX_DAYS)
    throw AppError.invalid('Invalid query parameters', [
      { field: 'from', message: `must be a day on or before to, at most ${MAX_DAYS} days earlier` },
    ]);
  return { from, to };
}

export function registerRoutes(
  app: FastifyInstance,
  deps: {
    plans: PlanStore;
    usage: UsageStore;
    /** Auth's organizations: a subscription is kept only for one that exists. */
    organizations: Organizations;
    now?: () => Date;
    /** After an organization moved to another plan (the payment provider's subscription follows). */
    onSubscribed?: (orgId: string) => Promise<void>;
  },
): void {
  const { plans, usage } = deps;
  const now = deps.now ?? (() => new Date());
  const actor = (request: Parameters<typeof principalOf>[0]): Actor => ({
    id: principalOf(request).userId,
    requestId: request.id,
  });

  app.get('/api/billing/plans', { ...authenticatedRoute() }, async () => ({
    items: (await plans.list()).map(planJson),
  }));

  app.put('/api/billing/plans/:id', { ...requirePermission('platform:admin') }, async (request) => {
    const { id } = parseOrThrow(planParams, request.params);
    const body = parseOrThrow(planBody, request.body, 'Invalid request body');
    const row = await plans.put(id, planInput(body), actor(request));
    return planJson(row);
  });

  // Creates a plan; unlike PUT it never replaces one, so a new plan cannot overwrite an existing id.
  app.post('/api/billing/plans', { ...requirePermission('platform:admin') }, async (request, reply) => {
    const { id, ...body } = parseOrThrow(newPlanBody, request.body, 'Invalid request body');
    const row = await plans.create(id, planInput(body), actor(request));
    return reply.code(201).send(planJson(row));
  });

  app.get(
    '/api/billing/orgs/:orgId/subscription',
    { ...requirePermission('org:read', { orgParam: 'orgId' }) },
    async (request) => {
      const { orgId } = parseOrThrow(orgParams, request.params);
      return orgPlanJson(await plans.ofOrg(orgId));
    },
  );

  app.put(
    '/api/billing/orgs/:orgId/subscription',
    { ...requirePermission('platform:admin') },
    async (request) => {
      const { orgId } = parseOrThrow(orgParams, request.params);
      const body = parseOrThrow(subscriptionBody, request.body, 'Invalid request body');
      if ((await deps.organizations.lookup(orgId, credentialsOf(request))) === null)
        throw AppError.notFound('Organization');
      const moved = await plans.subscribe(orgId, body.plan_id, actor(request));
      await deps.onSubscribed?.(orgId);
      return orgPlanJson(moved);
    },
  );

  app.get(
    '/api/billing/orgs/:orgId/usage',
    { ...requirePermission('audit:read', { orgParam: 'orgId' }) },
    async (request) => {
      const { orgId } = parseOrThrow(orgParams, request.params);
      const days = range(parseOrThrow(usageQuery, request.query), now());
      return { org_id: orgId, ...days, items: (await usage.perDay({ orgId, ...days })).map(usageJson) };
    },
  );

  app.get('/api/billing/usage', { ...requirePermission('platform:admin') }, async (request) => {
    const days = range(parseOrThrow(usageQuery, request.query), now());
    return { ...days, items: (await usage.perDay(days)).map(usageJson) };
  });
}
