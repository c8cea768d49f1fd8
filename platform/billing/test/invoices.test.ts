import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents } from '../src/db/schema.js';
import { startBilling, type Harness, type Who } from './helpers.js';
import { room } from './rooms.js';
const SUPER: Who = { id: 'usr_root', superadmin: true };
const ADMIN_A: Who = { id: 'usr_admin_a', orgs: { org_a: 'admin' } };
const MEMBER_A: Who = { id: 'usr_member_a', orgs: { org_a: 'member' } };

// The clock moves: subscriptions are made in October, the month is closed on December 1st.
let clock = new Date('2026-10-01T12:00:00Z');
let h: Harness;

const METERED = {
  name: 'Metered <b>"Team"</b> & Co',
  max_participants: 150,
  max_meeting_minutes: 120,
  recording_allowed: false,
  price_monthly_cents: 1000,
  overage_participant_minute_microcents: 400_000,
  overage_meeting_minute_microcents: 150_000,
};

beforeAll(async () => {
  h = await startBilling({ now: () => clock, invoicing: { settings: { taxRatePpm: 88_750 } } });
  expect((await h.call('PUT', '/api/billing/plans/metered', SUPER, METERED)).status).toBe(200);
  for (const org of ['org_a', 'org_c'])
    expect(
      (await h.call('PUT', `/api/billing/orgs/${org}/subscription`, SUPER, { plan_id: 'metered' })).status,
    ).toBe(200);
  // org_a: a meeting across the October/November midnight (20 of its 30 minutes in November), one in
  // mid-November where one of three leaves after 30.5 minutes, and one across the November/December
  // midnight (15 of its 30 minutes in November).
  await h.service.usage.recordBatch([
    ...room(
      'org_a',
      'mtg_1',
      '2026-10-31T23:50:00Z',
      [
        ['u1', 30],
        ['u2', 30],
      ],
      30,
    ),
    ...room(
      'org_a',
      'mtg_2',
      '2026-11-15T10:00:00Z',
      [
        ['u1', 61],
        ['u2', 61],
        ['u3', 30.5],
      ],
      61,
    ),
    ...room('org_a', 'mtg_3', '2026-11-30T23:45:00Z', [['u1', 30]], 30),
    // org_b: on the free plan, ten minutes alone.
    ...room('org_b', 'mtg_4', '2026-11-20T08:00:00Z', [['u9', 10]], 10),
  ]);
  // org_d moves to a paid plan after November ended: not billed for November.
  clock = new Date('2026-12-01T03:00:00Z');
  expect(
    (await h.call('PUT', '/api/billing/orgs/org_d/subscription', SUPER, { plan_id: 'metered' })).status,
  ).toBe(200);
  clock = new Date('2026-12-01T07:00:00Z');
});
afterAll(async () => {
  await h?.close();
});

type Line = { kind: string; quantity: number; billable: number; amount_cents: number };
const line = (invoice: { lines: Line[] }, kind: string) => invoice.lines.find((l) => l.kind === kind);

describe('closing a month', () => {
  it('waits for the grace hours after the month before the job closes it', () => {
    clock = new Date('2026-12-01T05:59:59Z');
    expect(h.service.invoices.closablePeriod()).toBeNull();
    clock = new Date('2026-12-01T07:00:00Z');
    expect(h.service.invoices.closablePeriod()?.period).toBe('2026-11');
  });

  it('refuses a tax rate that is not a percent and changes nothing', async () => {
    const bad = await h.call('PUT', '/api/billing/orgs/org_c/tax-rate', SUPER, { tax_rate_percent: '101' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('tax_rate_percent');
    expect(
      (await h.call('PUT', '/api/billing/orgs/org_c/tax-rate', ADMIN_A, { tax_rate_percent: '19' })).status,
    ).toBe(403);
    const before = await h.call('GET', '/api/billing/orgs/org_c/tax-rate', SUPER);
    expect(before.body).toEqual({
      org_id: 'org_c',
      tax_rate_percent: '8.875',
      tax_rate_ppm: 88_750,
      own_rate: false,
    });
    const set = await h.call('PUT', '/api/billing/orgs/org_c/tax-rate', SUPER, { tax_rate_percent: '19' });
    expect(set.body).toEqual({
      org_id: 'org_c',
      tax_rate_percent: '19',
      tax_rate_ppm: 190_000,
      own_rate: true,
    });
  });

  it('issues one numbered invoice per organization with exact totals, once', async () => {
    expect((await h.call('POST', '/api/billing/invoices/close', ADMIN_A, { period: '2026-11' })).status).toBe(
      403,
    );
    const open = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-12' });
    expect(open.status).toBe(412);
    expect(open.body.reason).toBe('period_open');
    expect((await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-13' })).status).toBe(
      400,
    );

    const closed = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-11' });
    expect(closed.status).toBe(200);
    const byOrg = Object.fromEntries(
      closed.body.created.map((i: { org_id: string }) => [i.org_id, i]),
    ) as Record<string, { number: string; status: string; lines: Line[]; [k: string]: unknown }>;
    expect(Object.keys(byOrg).sort()).toEqual(['org_a', 'org_b', 'org_c']);

    const a = byOrg['org_a']!;
    // 40 + (61 + 61 + 30.5) + 15 = 207.5 participant-minutes -> 208 at 0.4 cents = 83.2 -> 83;
    // 20 + 61 + 15 = 96 meeting-minutes at 0.15 cents = 14.4 -> 14; 1097 + 8.875 % (97.35875 -> 97).
    expect(line(a, 'participant_minutes')).toMatchObject({ quantity: 208, amount_cents: 83 });
    expect(line(a, 'meeting_minutes')).toMatchObject({ quantity: 96, amount_cents: 14 });
    expect(a).toMatchObject({
      number: 'INV-2026-000001',
      period: '2026-11',
      period_start: '2026-11-01T00:00:00.000Z',
      period_end: '2026-12-01T00:00:00.000Z',
      plan_id: 'metered',
      currency: 'USD',
      status: 'due',
      subtotal_cents: 1097,
      tax_rate_percent: '8.875',
      tax_cents: 97,
      total_cents: 1194,
      issued_at: '2026-12-01T07:00:00.000Z',
      due_at: '2026-12-31T07:00:00.000Z',
    });
    // The free plan charges nothing: settled on issue.
    expect(byOrg['org_b']).toMatchObject({
      number: 'INV-2026-000002',
      plan_id: 'free',
      total_cents: 0,
      status: 'paid',
    });
    expect(line(byOrg['org_b']!, 'participant_minutes')).toMatchObject({ quantity: 10, amount_cents: 0 });
    // No usage at all: the plan alone, at the organization's own 19 %.
    expect(byOrg['org_c']).toMatchObject({
      number: 'INV-2026-000003',
      subtotal_cents: 1000,
      tax_rate_ppm: 190_000,
      tax_cents: 190,
      total_cents: 1190,
    });
    expect(line(byOrg['org_c']!, 'participant_minutes')).toMatchObject({ quantity: 0, amount_cents: 0 });

    const again = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-11' });
    expect(again.body).toEqual({ period: '2026-11', created: [], existing: 3 });
    const job = await h.service.invoices.runJob();
    expect(job).toEqual({ period: '2026-11', created: 0, pushed: 0 });

    const audit = await h.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.entity, 'invoice'))
      .orderBy(auditEvents.id);
    expect(audit.map((r) => r.action)).toEqual(['invoice.issued', 'invoice.issued', 'invoice.issued']);
  });
});

describe('reading invoices', () => {
  it('shows an organization its own invoices to its admins only, and the superadmin all', async () => {
    const own = await h.call('GET', '/api/billing/orgs/org_a/invoices', ADMIN_A);
    expect(own.status).toBe(200);
    expect(own.body.items.map((i: { number: string }) => i.number)).toEqual(['INV-2026-000001']);
    expect((await h.call('GET', '/api/billing/orgs/org_a/invoices', MEMBER_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/orgs/org_b/invoices', ADMIN_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/orgs/org_a/invoices')).status).toBe(401);
    expect((await h.call('GET', '/api/billing/invoices', ADMIN_A)).status).toBe(403);
    const all = await h.call('GET', '/api/billing/invoices?period=2026-11', SUPER);
    expect(all.body.items.map((i: { org_id: string }) => i.org_id)).toEqual(['org_a', 'org_b', 'org_c']);
    const due = await h.call('GET', '/api/billing/invoices?status=due', SUPER);
    expect(due.body.items.map((i: { org_id: string }) => i.org_id)).toEqual(['org_a', 'org_c']);

    const id = own.body.items[0].id as string;
    const one = await h.call('GET', `/api/billing/orgs/org_a/invoices/${id}`, ADMIN_A);
    expect(one.body).toMatchObject({
      id,
      total_cents: 1194,
      html_url: `/api/billing/orgs/org_a/invoices/${id}/html`,
    });
    // Another organization's invoice under this organization's path does not exist.
    const other = all.body.items.find((i: { org_id: string }) => i.org_id === 'org_b').id as string;
    expect((await h.call('GET', `/api/billing/orgs/org_a/invoices/${other}`, ADMIN_A)).status).toBe(404);
  });

  it('prints an invoice as a self-contained page with its totals and the plan name escaped', async () => {
    const list = await h.call('GET', '/api/billing/orgs/org_a/invoices', ADMIN_A);
    const response = await fetch(`${h.http}${list.body.items[0].html_url}`, {
      headers: { 'x-test-who': JSON.stringify(ADMIN_A) },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<title>Invoice INV-2026-000001</title>');
    // The organization by the name auth has for it, with its id.
    expect(html).toContain('<dt>Organization</dt><dd>A (org_a)</dd>');
    expect(html).toContain('Metered &lt;b&gt;&quot;Team&quot;&lt;/b&gt; &amp; Co');
    expect(html).not.toContain('<b>"Team"</b>');
    expect(html).toMatch(/Subtotal<\/td><td class="middle" colspan="3"><\/td><td class="num">10\.97 USD</);
    expect(html).toMatch(
      /Tax \(8\.875%\)<\/td><td class="middle" colspan="3"><\/td>\s*<td class="num">0\.97 USD</,
    );
    expect(html).toMatch(/Total<\/td><td class="middle" colspan="3"><\/td><td class="num">11\.94 USD</);
    expect(html).toContain('208 minutes');
    expect(html).toContain('@media print');
    // Nothing loaded from anywhere: no scripts, no links to assets.
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(/i);
    expect((await fetch(`${h.http}${list.body.items[0].html_url}`)).status).toBe(401);
  });

  it('previews the month so far as an unnumbered draft', async () => {
    const draft = await h.call('GET', '/api/billing/orgs/org_a/invoices/preview', ADMIN_A);
    expect(draft.status).toBe(200);
    // The last 15 minutes of the meeting across midnight fall in December.
    expect(draft.body).toMatchObject({ id: null, number: null, status: 'draft', period: '2026-12' });
    expect(line(draft.body, 'participant_minutes')).toMatchObject({ quantity: 15, amount_cents: 6 });
    const page = await fetch(`${h.http}${draft.body.html_url}`, {
      headers: { 'x-test-who': JSON.stringify(ADMIN_A) },
    });
    expect(await page.text()).toContain('Draft statement 2026-12');
    const future = await h.call('GET', '/api/billing/orgs/org_a/invoices/preview?period=2027-01', ADMIN_A);
    expect(future.status).toBe(400);
    // Months before 1970 are refused as input (they once reached the store and answered 500).
    for (const period of ['1969-12', '1800-01', '0000-01']) {
      const old = await h.call('GET', `/api/billing/orgs/org_a/invoices/preview?period=${period}`, ADMIN_A);
      expect(old.status, period).toBe(400);
      expect(old.body.errors?.[0]?.message ?? old.body.detail).toMatch(/from 1970-01/);
      const html = await fetch(`${h.http}/api/billing/orgs/org_a/invoices/preview/html?period=${period}`, {
        headers: { 'x-test-who': JSON.stringify(ADMIN_A) },
      });
      expect(html.status, period).toBe(400);
      expect((await h.call('POST', '/api/billing/invoices/close', SUPER, { period })).status, period).toBe(
        400,
      );
    }
    expect((await h.call('GET', '/api/billing/orgs/org_a/invoices/preview', MEMBER_A)).status).toBe(403);
  });
});

describe('settling invoices without a payment provider', () => {
  it('leaves invoices due until the superadmin records the payment or voids them, audited', async () => {
    const due = await h.call('GET', '/api/billing/invoices?status=due', SUPER);
    const [a, c] = due.body.items as Array<{ id: string; org_id: string }>;
    expect(
      (await h.call('POST', `/api/billing/orgs/org_a/invoices/${a!.id}/mark-paid`, ADMIN_A)).status,
    ).toBe(403);
    const paid = await h.call('POST', `/api/billing/orgs/org_a/invoices/${a!.id}/mark-paid`, SUPER);
    expect(paid.body).toMatchObject({ status: 'paid', paid_at: '2026-12-01T07:00:00.000Z' });
    const twice = await h.call('POST', `/api/billing/orgs/org_a/invoices/${a!.id}/void`, SUPER);
    expect(twice.status).toBe(412);
    expect(twice.body.reason).toBe('invoice_not_due');
    const voided = await h.call('POST', `/api/billing/orgs/org_c/invoices/${c!.id}/void`, SUPER);
    expect(voided.body).toMatchObject({ status: 'void', voided_at: '2026-12-01T07:00:00.000Z' });

    const audit = await h.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.entity, 'invoice'))
      .orderBy(auditEvents.id);
    expect(audit.map((r) => [r.action, r.actor])).toEqual([
      ['invoice.issued', 'usr_root'],
      ['invoice.issued', 'usr_root'],
      ['invoice.issued', 'usr_root'],
      ['invoice.paid', 'usr_root'],
      ['invoice.voided', 'usr_root'],
    ]);
  });

  it('has no webhook without a provider', async () => {
    const response = await fetch(`${h.http}/api/billing/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { reason: string }).reason).toBe('provider_missing');
  });
});

describe('plans with overage prices', () => {
  it('keeps the unit prices with the plan and refuses negative ones', async () => {
    const plans = await h.call('GET', '/api/billing/plans', MEMBER_A);
    expect(plans.body.items.find((p: { id: string }) => p.id === 'metered')).toMatchObject({
      overage_participant_minute_microcents: 400_000,
      overage_meeting_minute_microcents: 150_000,
      overage_recording_minute_microcents: 0,
      overage_storage_gb_day_microcents: 0,
    });
    const bad = await h.call('PUT', '/api/billing/plans/metered', SUPER, {
      ...METERED,
      overage_meeting_minute_microcents: -1,
    });
    expect(bad.status).toBe(400);
    const after = await h.call('GET', '/api/billing/plans', MEMBER_A);
    expect(
      after.body.items.find((p: { id: string }) => p.id === 'metered').overage_meeting_minute_microcents,
    ).toBe(150_000);
  });
});
