// Recording time and storage metered from the recording service's events (over the same gRPC path its
// outbox uses), shown in the usage REST, and CheckRecording refusing by plan: no recording, the month's
// recording hours used, the storage full.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '@origo/kit';
import type { UsageEvent } from '@origo/proto/billing-rpc';
import { startBilling, usageEvent, type Harness, type Who } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const GB = 1e9;
const SUPER: Who = { id: 'usr_root', superadmin: true };
const ADMIN: Who = { id: 'usr_admin_rec', orgs: { org_rec: 'admin' } };
const NOW = Date.parse('2026-11-30T18:00:00Z');

let h: Harness;
beforeAll(async () => {
  h = await startBilling({ now: () => new Date(NOW) });
});
afterAll(async () => {
  await h?.close();
});

/** The events of one recording: started, then ready (length, bytes) or failed, then maybe deleted. */
function recording(
  orgId: string,
  id: string,
  o: {
    startedAt: string;
    readyAt?: string;
    failedAt?: string;
    minutes?: number;
    bytes?: number;
    deletedAt?: string;
  },
): UsageEvent[] {
  const base = { orgId, meetingId: `mtg_${id}`, recordingId: `rec_${id}` };
  const events = [
    usageEvent({
      ...base,
      eventId: `rec_${id}:recording_started`,
      type: 'recording_started',
      occurredAtMs: Date.parse(o.startedAt),
    }),
  ];
  if (o.readyAt !== undefined)
    events.push(
      usageEvent({
        ...base,
        eventId: `rec_${id}:recording_ready`,
        type: 'recording_ready',
        occurredAtMs: Date.parse(o.readyAt),
        durationMs: (o.minutes ?? 0) * MIN,
        bytes: o.bytes ?? 0,
      }),
    );
  if (o.failedAt !== undefined)
    events.push(
      usageEvent({
        ...base,
        eventId: `rec_${id}:recording_failed`,
        type: 'recording_failed',
        occurredAtMs: Date.parse(o.failedAt),
      }),
    );
  if (o.deletedAt !== undefined)
    events.push(
      usageEvent({
        ...base,
        eventId: `rec_${id}:recording_deleted`,
        type: 'recording_deleted',
        occurredAtMs: Date.parse(o.deletedAt),
      }),
    );
  return events;
}

const check = (orgId: string) =>
  unary(h.client.checkRecording.bind(h.client), { orgId, meetingId: 'mtg_next' });

const putPlan = async (id: string, fields: { recording_hours: number; storage_gb: number }) => {
  const put = await h.call('PUT', `/api/billing/plans/${id}`, SUPER, {
    name: id[0]!.toUpperCase() + id.slice(1),
    max_participants: 50,
    max_meeting_minutes: 0,
    recording_allowed: true,
    price_monthly_cents: 500,
    ...fields,
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
};

const subscribe = async (orgId: string, planId: string) => {
  const moved = await h.call('PUT', `/api/billing/orgs/${orgId}/subscription`, SUPER, { plan_id: planId });
  expect(moved.status, JSON.stringify(moved.body)).toBe(200);
};

describe('metering recordings', () => {
  it('counts recording minutes per day and storage GB-days up to deletion or now, each event once', async () => {
    const events = [
      // 09:00-10:00, 2 GB kept from 10:00 until deleted at 16:00: 2 GB for 6 hours.
      ...recording('org_rec', 'one', {
        startedAt: '2026-11-30T09:00:00Z',
        readyAt: '2026-11-30T10:00:00Z',
        minutes: 60,
        bytes: 2 * GB,
        deletedAt: '2026-11-30T16:00:00Z',
      }),
      // Across midnight: 30 minutes on each day; 1 GB kept from 00:30 until now (18:00), not deleted.
      ...recording('org_rec', 'two', {
        startedAt: '2026-11-29T23:30:00Z',
        readyAt: '2026-11-30T00:30:00Z',
        minutes: 60,
        bytes: GB,
      }),
      // Failed: keeps nothing and counts no time.
      ...recording('org_rec', 'three', {
        startedAt: '2026-11-30T11:00:00Z',
        failedAt: '2026-11-30T11:20:00Z',
      }),
    ];
    // Backwards (the deletion before the start), then all again with one event that is not valid.
    const first = await h.record([...events].reverse());
    expect(first).toEqual({ applied: events.length, duplicates: 0, invalid: 0 });
    const again = await h.record([
      ...events,
      usageEvent({
        eventId: 'bad-bytes',
        type: 'recording_ready',
        orgId: 'org_rec',
        meetingId: 'mtg_x',
        recordingId: 'rec_x',
        occurredAtMs: NOW,
        bytes: -1,
      }),
    ]);
    expect(again).toEqual({ applied: 0, duplicates: events.length, invalid: 1 });

    const usage = await h.call('GET', '/api/billing/orgs/org_rec/usage?from=2026-11-29&to=2026-11-30', ADMIN);
    expect(usage.status).toBe(200);
    const storageNov30 = (2 * 6) / 24 + (1 * 17.5) / 24;
    expect(usage.body.items).toEqual([
      {
        org_id: 'org_rec',
        day: '2026-11-29',
        participant_minutes: 0,
        meeting_minutes: 0,
        participant_ms: 0,
        meeting_ms: 0,
        recording_minutes: 30,
        recording_ms: 30 * MIN,
        storage_gb_days: 0,
        egress_bytes: 0,
        egress_gb: 0,
      },
      {
        org_id: 'org_rec',
        day: '2026-11-30',
        participant_minutes: 0,
        meeting_minutes: 0,
        participant_ms: 0,
        meeting_ms: 0,
        recording_minutes: 90,
        recording_ms: 90 * MIN,
        storage_gb_days: Math.round(storageNov30 * 1e6) / 1e6,
        egress_bytes: 0,
        egress_gb: 0,
      },
    ]);
  });

  it('places a recording whose start event is late from its ready time, and moves it when the start arrives', async () => {
    const [started, ready] = recording('org_late', 'late', {
      startedAt: '2026-11-28T23:50:00Z',
      readyAt: '2026-11-29T00:20:00Z',
      minutes: 20,
      bytes: 0,
    });
    await h.record([ready!]);
    const days = async () =>
      (await h.service.usage.perDay({ orgId: 'org_late', from: '2026-11-28', to: '2026-11-29' })).map((u) => [
        u.day,
        u.recordingMs / MIN,
      ]);
    // Without its start: the 20 minutes end when it became ready.
    expect(await days()).toEqual([['2026-11-29', 20]]);
    await h.record([started!]);
    expect(await days()).toEqual([
      ['2026-11-28', 10],
      ['2026-11-29', 10],
    ]);
  });
});

describe('CheckRecording', () => {
  it('refuses a free organization: its plan has no recording, and the message says how to raise it', async () => {
    const answer = await check('org_free_rec');
    expect(answer).toMatchObject({ allowed: false, limit: 'recording_allowed', planId: 'free' });
    expect(answer.message).toMatch(/Free plan does not include recording/);
    expect(answer.message).toMatch(
      /To raise it, the organization needs a plan with recording, which the operator/,
    );
    const metrics = await (await fetch(`${h.http}/metrics`)).text();
    expect(metrics).toMatch(/origo_billing_quota_rejections_total\{limit="recording_allowed"[^}]*\} 1/);
  });

  it("refuses once the month's recording hours are used, and allows the next recording before", async () => {
    await putPlan('hourly', { recording_hours: 1, storage_gb: 0 });
    await subscribe('org_hours', 'hourly');
    await h.record([
      // Last month's hours do not count against this month.
      ...recording('org_hours', 'h0', {
        startedAt: '2026-10-31T20:00:00Z',
        readyAt: '2026-10-31T22:00:00Z',
        minutes: 120,
      }),
      ...recording('org_hours', 'h1', {
        startedAt: '2026-11-30T08:00:00Z',
        readyAt: '2026-11-30T08:59:00Z',
        minutes: 59,
        bytes: 5 * GB,
      }),
    ]);
    expect(await check('org_hours')).toMatchObject({
      allowed: true,
      recordingHours: 1,
      recordingMsUsed: 59 * MIN,
      storageBytesUsed: 5 * GB,
      storageGb: 0,
    });
    await h.record(
      recording('org_hours', 'h2', {
        startedAt: '2026-11-30T09:00:00Z',
        readyAt: '2026-11-30T09:01:00Z',
        minutes: 1,
      }),
    );
    const refused = await check('org_hours');
    expect(refused).toMatchObject({ allowed: false, limit: 'recording_hours', recordingMsUsed: HOUR });
    expect(refused.message).toMatch(/used the 1 recording hour its Hourly plan includes this month/);
    expect(refused.message).toMatch(/start again on 2026-12-01/);
  });

  it('refuses when the recordings kept fill the plan storage, and allows again after a deletion', async () => {
    await putPlan('small', { recording_hours: 0, storage_gb: 1 });
    await subscribe('org_full', 'small');
    const kept = recording('org_full', 'big', {
      startedAt: '2026-11-30T12:00:00Z',
      readyAt: '2026-11-30T13:00:00Z',
      minutes: 60,
      bytes: 1.5 * GB,
    });
    await h.record(kept);
    const refused = await check('org_full');
    expect(refused).toMatchObject({ allowed: false, limit: 'storage_gb', storageBytesUsed: 1.5 * GB });
    expect(refused.message).toMatch(/recordings take 1\.50 GB of the 1 GB its Small plan includes/);
    expect(refused.message).toMatch(/Delete recordings/);
    await h.record(
      recording('org_full', 'big', {
        startedAt: '2026-11-30T12:00:00Z',
        deletedAt: '2026-11-30T14:00:00Z',
      }),
    );
    expect(await check('org_full')).toMatchObject({ allowed: true, storageBytesUsed: 0 });
  });

  it('answers INVALID_ARGUMENT for an organization id that is not one', async () => {
    await expect(check('not an id')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
