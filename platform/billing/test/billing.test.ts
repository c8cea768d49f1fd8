import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '@origo/kit';
import type { UsageEvent } from '@origo/proto/billing-rpc';
import { startBilling, usageEvent, type Harness, type Who } from './helpers.js';

const MIN = 60_000;
const SUPER: Who = { id: 'usr_root', superadmin: true };
const ADMIN_A: Who = { id: 'usr_admin_a', orgs: { org_a: 'admin' } };
const MEMBER_A: Who = { id: 'usr_member_a', orgs: { org_a: 'member' } };

let h: Harness;
beforeAll(async () => {
  h = await startBilling({ now: () => new Date('2026-11-30T18:00:00Z') });
});
afterAll(async () => {
  await h?.close();
});

/**
 * One room of an organization on 2026-11-30: `people` join at `at` and stay for `minutes`; the SFU sends each
 * of them 1 MB a minute, read half-way and when the room closes.
 */
function room(orgId: string, meetingId: string, at: string, minutes: number, people: string[]): UsageEvent[] {
  const start = Date.parse(`2026-11-30T${at}:00Z`);
  const base = { orgId, meetingId, roomSid: `rm-${meetingId}` };
  return [
    usageEvent({ ...base, eventId: `${meetingId}-start`, type: 'room_started', occurredAtMs: start }),
    ...people.flatMap((p, i) => [
      usageEvent({
        ...base,
        eventId: `${meetingId}-j${i}`,
        type: 'participant_joined',
        identity: p,
        occurredAtMs: start,
      }),
      usageEvent({
        ...base,
        eventId: `${meetingId}-l${i}`,
        type: 'participant_left',
        identity: p,
        occurredAtMs: start + minutes * MIN,
      }),
    ]),
    ...[minutes / 2, minutes].map((m) =>
      usageEvent({
        ...base,
        eventId: `${meetingId}-egress-${m}`,
        type: 'egress',
        bytes: people.length * m * 1e6,
        occurredAtMs: start + m * MIN,
      }),
    ),
    usageEvent({
      ...base,
      eventId: `${meetingId}-end`,
      type: 'room_ended',
      occurredAtMs: start + minutes * MIN,
    }),
  ];
}

describe('metering room events', () => {
  it('totals usage per organization and day exactly, with duplicates and events in reverse order', async () => {
    const events = [
      ...room('org_a', 'mtg_one', '09:00', 30, ['u1', 'u2', 'u3']),
      ...room('org_a', 'mtg_two', '13:00', 20, ['u1', 'u4']),
      ...room('org_b', 'mtg_three', '10:00', 45, ['u5']),
    ];
    // Everything backwards, one call per event, then everything again in one batch: each event counts
    // once, and an event that is not valid is skipped without holding the others back.
    let applied = 0;
    for (const e of [...events].reverse()) applied += (await h.record([e])).applied;
    expect(applied).toBe(events.length);
    const again = await h.record([
      ...events,
      usageEvent({ eventId: 'broken', type: 'room_exploded', orgId: 'org_a', meetingId: 'mtg_one' }),
    ]);
    expect(again).toEqual({ applied: 0, duplicates: events.length, invalid: 1 });

    const a = await h.call('GET', '/api/billing/orgs/org_a/usage?from=2026-11-01&to=2026-11-30', ADMIN_A);
    expect(a.status).toBe(200);
    expect(a.body.items).toEqual([
      {
        org_id: 'org_a',
        day: '2026-11-30',
        participant_minutes: 3 * 30 + 2 * 20,
        meeting_minutes: 30 + 20,
        participant_ms: (3 * 30 + 2 * 20) * MIN,
        meeting_ms: 50 * MIN,
        recording_minutes: 0,
        recording_ms: 0,
        storage_gb_days: 0,
        egress_bytes: (3 * 30 + 2 * 20) * 1e6,
        egress_gb: 0.13,
      },
    ]);
    const all = await h.call('GET', '/api/billing/usage', SUPER);
    expect(all.status).toBe(200);
    expect(all.body.from).toBe('2026-11-01');
    expect(
      all.body.items.map((i: { org_id: string; participant_minutes: number }) => [
        i.org_id,
        i.participant_minutes,
      ]),
    ).toEqual([
      ['org_a', 130],
      ['org_b', 45],
    ]);
  });

  it('shows an organization its own usage only, and everyone else a 403', async () => {
    expect((await h.call('GET', '/api/billing/orgs/org_a/usage', MEMBER_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/orgs/org_b/usage', ADMIN_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/usage', ADMIN_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/usage')).status).toBe(401);
  });
});

describe('plans and subscriptions', () => {
  it('puts every organization on the free plan: 100 participants, 40 minutes, no recording', async () => {
    const sub = await h.call('GET', '/api/billing/orgs/org_a/subscription', MEMBER_A);
    expect(sub.status).toBe(200);
    expect(sub.body).toMatchObject({
      org_id: 'org_a',
      default_plan: true,
      plan: { id: 'free', max_participants: 100, max_meeting_minutes: 40, recording_allowed: false },
    });
    const plans = await h.call('GET', '/api/billing/plans', MEMBER_A);
    expect(plans.body.items.map((p: { id: string }) => p.id)).toEqual(['free', 'pro', 'business']);
  });

  it('lets only the superadmin edit plans and move an organization to another plan', async () => {
    const body = {
      name: 'Team',
      max_participants: 150,
      max_meeting_minutes: 120,
      recording_allowed: true,
      recording_hours: 5,
      storage_gb: 2,
      price_monthly_cents: 900,
    };
    expect((await h.call('PUT', '/api/billing/plans/team', ADMIN_A, body)).status).toBe(403);
    const put = await h.call('PUT', '/api/billing/plans/team', SUPER, body);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      id: 'team',
      max_participants: 150,
      currency: 'USD',
      updated_by: 'usr_root',
    });
    const bad = await h.call('PUT', '/api/billing/plans/team', SUPER, { ...body, max_participants: 1 });
    expect(bad.status).toBe(400);

    expect(
      (await h.call('PUT', '/api/billing/orgs/org_b/subscription', ADMIN_A, { plan_id: 'team' })).status,
    ).toBe(403);
    const moved = await h.call('PUT', '/api/billing/orgs/org_b/subscription', SUPER, { plan_id: 'team' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ org_id: 'org_b', default_plan: false, plan: { id: 'team' } });
    expect(
      (await h.call('PUT', '/api/billing/orgs/org_b/subscription', SUPER, { plan_id: 'nope' })).status,
    ).toBe(404);
  });
});

describe('CheckJoin', () => {
  it('refuses the 101st participant of a free organization, naming the limit and how to raise it', async () => {
    const ok = await unary(h.client.checkJoin.bind(h.client), {
      orgId: 'org_free',
      meetingId: 'mtg_x',
      participantCount: 99,
    });
    expect(ok).toMatchObject({ allowed: true, planId: 'free', maxParticipants: 100, maxMeetingMinutes: 40 });
    const full = await unary(h.client.checkJoin.bind(h.client), {
      orgId: 'org_free',
      meetingId: 'mtg_x',
      participantCount: 100,
    });
    expect(full.allowed).toBe(false);
    expect(full.limit).toBe('max_participants');
    expect(full.message).toMatch(/100-participant limit of the organization's Free plan/);
    expect(full.message).toMatch(/To raise it, the organization needs a larger plan, which the operator/);
    const metrics = await (await fetch(`${h.http}/metrics`)).text();
    expect(metrics).toMatch(/origo_billing_quota_rejections_total\{limit="max_participants"[^}]*\} 1/);
  });
});
