// An invoice's recording and storage lines from the recording metering: what exceeds the hours and
// gigabytes the plan includes is charged at the plan's unit prices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBilling, type Harness, type Who } from './helpers.js';

const MIN = 60_000;
const SUPER: Who = { id: 'usr_root', superadmin: true };
let clock = new Date('2026-10-20T12:00:00Z');
let h: Harness;

beforeAll(async () => {
  h = await startBilling({ now: () => clock });
  const plan = await h.call('PUT', '/api/billing/plans/recorder', SUPER, {
    name: 'Recorder',
    max_participants: 50,
    max_meeting_minutes: 0,
    recording_allowed: true,
    recording_hours: 1,
    storage_gb: 1,
    price_monthly_cents: 500,
    overage_recording_minute_microcents: 1_000_000, // 1 cent
    overage_storage_gb_day_microcents: 10_000_000, // 10 cents
  });
  expect(plan.status).toBe(200);
  expect(
    (await h.call('PUT', '/api/billing/orgs/org_r/subscription', SUPER, { plan_id: 'recorder' })).status,
  ).toBe(200);
  // A 90-minute recording of 2 GB, ready on November 10th at 10:30 and kept to the end of the month.
  const base = { orgId: 'org_r', meetingId: 'mtg_r', recordingId: 'rec_1', bytes: 0, durationMs: 0 };
  await h.service.usage.recordings.recordBatch([
    {
      ...base,
      eventId: 'rec_1-start',
      type: 'recording_started',
      occurredAt: Date.parse('2026-11-10T09:00:00Z'),
    },
    {
      ...base,
      eventId: 'rec_1-ready',
      type: 'recording_ready',
      occurredAt: Date.parse('2026-11-10T10:30:00Z'),
      bytes: 2_000_000_000,
      durationMs: 90 * MIN,
    },
  ]);
  clock = new Date('2026-12-01T07:00:00Z');
});
afterAll(async () => {
  await h?.close();
});

describe('recording and storage on an invoice', () => {
  it('charges the recording minutes and GB-days beyond what the plan includes', async () => {
    const closed = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-11' });
    expect(closed.status).toBe(200);
    const [invoice] = closed.body.created;
    const lines = Object.fromEntries(invoice.lines.map((l: { kind: string }) => [l.kind, l])) as Record<
      string,
      { quantity: number; included: number; billable: number; amount_cents: number }
    >;
    // 90 minutes recorded, 60 included: 30 at 1 cent.
    expect(lines['recording_minutes']).toMatchObject({
      quantity: 90,
      included: 60,
      billable: 30,
      amount_cents: 30,
    });
    // 2 GB from Nov 10 10:30 to Dec 1: 2 x (13.5 / 24) + 2 x 20 = 41.125 -> 42 GB-days; 1 GB x 30 days
    // included; 12 at 10 cents.
    expect(lines['storage_gb_days']).toMatchObject({
      quantity: 42,
      included: 30,
      billable: 12,
      amount_cents: 120,
    });
    expect(invoice).toMatchObject({ subtotal_cents: 500 + 30 + 120, total_cents: 650 });
  });
});
