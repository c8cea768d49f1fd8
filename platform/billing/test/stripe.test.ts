// The Stripe adapter against a Stripe-shaped HTTP peer started here: customers, subscriptions and invoices
// reach the peer as Stripe's REST API takes them, and the peer's signed webhooks settle invoices in billing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { stripeForm, StripeProvider } from '../src/provider/stripe.js';
import { verifyStripeSignature } from '../src/provider/stripe-signature.js';
import { startBilling, type Harness, type Who } from './helpers.js';
import { room } from './rooms.js';
import { signStripe, startStripePeer, type StripePeer } from './stripe-peer.js';

const SUPER: Who = { id: 'usr_root', superadmin: true };
const SECRET_KEY = 'sk_test_origo_peer';
const WEBHOOK_SECRET = 'whsec_origo_peer';

let clock = new Date('2026-10-15T12:00:00Z');
const now = () => clock;
let peer: StripePeer & { setWebhookUrl(url: string): void };
let h: Harness;

beforeAll(async () => {
  peer = await startStripePeer({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, now });
  h = await startBilling({
    now,
    invoicing: {
      settings: { taxRatePpm: 190_000 },
      provider: new StripeProvider({
        apiBase: peer.url,
        secretKey: SECRET_KEY,
        webhookSecret: WEBHOOK_SECRET,
        toleranceSeconds: 300,
        daysUntilDue: 30,
      }),
    },
  });
  peer.setWebhookUrl(`${h.http}/api/billing/webhooks/stripe`);
});
afterAll(async () => {
  await h?.close();
  await peer?.close();
});

/** Billing's invoice of `orgId` for November 2026. */
async function invoiceOf(orgId: string) {
  const list = await h.call('GET', `/api/billing/invoices?org_id=${orgId}&period=2026-11`, SUPER);
  return list.body.items[0];
}

describe('customers and subscriptions at the provider', () => {
  it('creates a customer and a subscription for the plan when an organization moves to a paid plan', async () => {
    for (const org of ['org_p', 'org_q'])
      expect(
        (await h.call('PUT', `/api/billing/orgs/${org}/subscription`, SUPER, { plan_id: 'pro' })).status,
      ).toBe(200);
    expect([...peer.customers.values()].map((c) => c['metadata[org_id]'])).toEqual(['org_p', 'org_q']);
    expect([...peer.products.keys()]).toEqual(['origo_plan_pro']);
    const subs = [...peer.subscriptions.values()];
    expect(subs).toHaveLength(2);
    expect(subs[0]).toMatchObject({
      customer: [...peer.customers.keys()][0],
      collection_method: 'send_invoice',
      'items[0][price_data][currency]': 'usd',
      'items[0][price_data][product]': 'origo_plan_pro',
      'items[0][price_data][unit_amount]': '1499',
      'items[0][price_data][recurring][interval]': 'month',
      // The monthly statement carries the plan's price: the subscription itself never bills.
      'pause_collection[behavior]': 'void',
      'metadata[org_id]': 'org_p',
      'metadata[plan_id]': 'pro',
      status: 'active',
    });
  });
});

describe('invoices pushed to the provider', () => {
  it("pushes each closed month once, with lines and tax adding up to billing's total, retrying after an outage", async () => {
    clock = new Date('2026-12-01T07:00:00Z');
    await h.service.usage.recordBatch([
      ...room('org_p', 'mtg_p', '2026-11-10T09:00:00Z', [['u1', 45]], 45),
      ...room('org_q', 'mtg_q', '2026-11-11T09:00:00Z', [['u2', 20]], 20),
    ]);
    // The provider fails while the first invoice is being finalized: it stays unpushed, not half-pushed.
    peer.failOnce(/\/finalize$/);
    const closed = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-11' });
    expect(closed.status).toBe(200);
    expect(closed.body.created).toHaveLength(2);
    const p = await invoiceOf('org_p');
    // Pro: 14.99 a month, no overage prices; 19 % tax of 1499 = 284.81 -> 285.
    expect(p).toMatchObject({ status: 'due', subtotal_cents: 1499, tax_cents: 285, total_cents: 1784 });

    // The job pushes what is still missing, with the same idempotency keys: nothing is created twice.
    await h.service.invoices.runJob();
    const pushedP = await invoiceOf('org_p');
    const pushedQ = await invoiceOf('org_q');
    expect(pushedP.provider).toBe('stripe');
    expect(pushedQ.provider).toBe('stripe');
    expect(peer.invoices.size).toBe(2);
    for (const ours of [pushedP, pushedQ]) {
      const theirs = peer.invoices.get(ours.provider_invoice_id);
      expect(theirs).toMatchObject({
        status: 'open',
        currency: 'usd',
        number: ours.number,
        metadata: { origo_invoice_id: ours.id, origo_invoice_number: ours.number, org_id: ours.org_id },
        due_date: Date.parse(ours.due_at) / 1000,
        total: ours.total_cents,
      });
      expect(theirs?.items.map((i) => i.description)).toEqual(['Pro plan, monthly', 'Tax (19%)']);
    }

    // Closing again pushes nothing more.
    const before = peer.requests.length;
    await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-11' });
    await h.service.invoices.runJob();
    expect(peer.requests.length).toBe(before);
  });
});

describe('invoice webhooks', () => {
  it('marks an invoice paid when the provider says invoice.paid', async () => {
    const ours = await invoiceOf('org_p');
    const delivery = await peer.pay(ours.provider_invoice_id);
    expect(delivery.status).toBe(200);
    expect(delivery.body).toMatchObject({ received: true, invoice_id: ours.id, applied: true });
    expect(await invoiceOf('org_p')).toMatchObject({ status: 'paid', paid_at: '2026-12-01T07:00:00.000Z' });
  });

  it('refuses the same event delivered again, even with a valid signature', async () => {
    const ours = await invoiceOf('org_q');
    const first = await peer.sendInvoiceEvent('invoice.payment_failed', ours.provider_invoice_id, {
      eventId: 'evt_failed_once',
    });
    expect(first.status).toBe(200);
    const failed = await invoiceOf('org_q');
    expect(failed).toMatchObject({
      status: 'due',
      payment_error: 'The payment failed at Stripe (attempt 1)',
    });
    const replay = await peer.resend(first);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ reason: 'webhook_replayed' });
    expect(await invoiceOf('org_q')).toEqual(failed);
  });

  it('refuses a wrong signature, a changed body, a missing header and a timestamp outside the window', async () => {
    const ours = await invoiceOf('org_q');
    const id = ours.provider_invoice_id as string;
    const seconds = Math.floor(clock.getTime() / 1000);
    const wrong = await peer.sendInvoiceEvent('invoice.paid', id, {
      eventId: 'evt_paid_q',
      secret: 'whsec_other',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ reason: 'webhook_signature_invalid' });
    const signed = await peer.sendInvoiceEvent('invoice.payment_failed', id, { eventId: 'evt_changed' });
    expect(signed.status).toBe(200);
    const changed = await peer.resend({
      ...signed,
      payload: signed.payload.replace('"invoice.payment_failed"', '"invoice.paid"'),
    });
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ reason: 'webhook_signature_invalid' });
    const missing = await peer.sendInvoiceEvent('invoice.paid', id, { eventId: 'evt_paid_q', header: null });
    expect(missing.body).toMatchObject({ reason: 'webhook_signature_missing' });
    for (const timestamp of [seconds - 301, seconds + 301]) {
      const stale = await peer.sendInvoiceEvent('invoice.paid', id, { eventId: 'evt_paid_q', timestamp });
      expect(stale.status).toBe(400);
      expect(stale.body).toMatchObject({ reason: 'webhook_timestamp_outside_tolerance' });
    }
    expect((await invoiceOf('org_q')).status).toBe('due');
    // Refused deliveries recorded nothing: the same event, signed properly, still applies.
    const edge = await peer.sendInvoiceEvent('invoice.paid', id, {
      eventId: 'evt_paid_q',
      timestamp: seconds - 300,
    });
    expect(edge.status).toBe(200);
    expect((await invoiceOf('org_q')).status).toBe('paid');
    const metrics = await (await fetch(`${h.http}/metrics`)).text();
    expect(metrics).toMatch(/origo_billing_webhooks_total\{result="refused"[^}]*\} 5/);
    expect(metrics).toMatch(/origo_billing_webhooks_total\{result="replayed"[^}]*\} 1/);
  });
});

describe('voiding and plan changes at the provider', () => {
  it("voids the provider's invoice with billing's, and ends the subscription when the plan becomes free", async () => {
    clock = new Date('2027-01-01T07:00:00Z');
    await h.service.usage.recordBatch(room('org_p', 'mtg_p2', '2026-12-03T09:00:00Z', [['u1', 5]], 5));
    const closed = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-12' });
    const december = closed.body.created.find((i: { org_id: string }) => i.org_id === 'org_p');
    expect(december.provider_invoice_id).toMatch(/^in_/);
    const voided = await h.call('POST', `/api/billing/orgs/org_p/invoices/${december.id}/void`, SUPER);
    expect(voided.body.status).toBe('void');
    expect(peer.invoices.get(december.provider_invoice_id)?.status).toBe('void');

    const [subscription] =
      [...peer.subscriptions.entries()].find(([, s]) => s['metadata[org_id]'] === 'org_p') ?? [];
    expect(
      (await h.call('PUT', '/api/billing/orgs/org_p/subscription', SUPER, { plan_id: 'free' })).status,
    ).toBe(200);
    expect(peer.subscriptions.get(subscription as string)?.status).toBe('canceled');
  });
});

describe('the signature check itself', () => {
  const payload = Buffer.from('{"id":"evt_1"}');
  const check = (header: string | undefined, nowSeconds = 1_800_000_000) =>
    verifyStripeSignature({ payload, header, secret: 'whsec_a', nowSeconds, toleranceSeconds: 300 });

  it('accepts any one matching v1 among several, as while a secret is rolled', () => {
    const good = createHmac('sha256', 'whsec_a').update(`1800000000.${payload.toString()}`).digest('hex');
    const other = createHmac('sha256', 'whsec_b').update(`1800000000.${payload.toString()}`).digest('hex');
    expect(() => check(`t=1800000000,v1=${other},v1=${good}`)).not.toThrow();
    expect(() => check(signStripe('whsec_a', 1_800_000_000, payload.toString()))).not.toThrow();
    // v0 is Stripe's test scheme: never accepted as a signature.
    expect(() => check(`t=1800000000,v0=${good}`)).toThrow(/no timestamp or no v1/);
    expect(() => check(`t=1800000000,v1=${other}`)).toThrow(/does not match/);
    expect(() => check(`t=1800000000,v1=${good.slice(0, 62)}`)).toThrow(/no timestamp or no v1/);
    expect(() => check(`v1=${good}`)).toThrow(/no timestamp/);
    expect(() => check(`t=1800000000,v1=${good}`, 1_800_000_301)).toThrow(/more than 300 seconds/);
  });

  it('encodes nested fields the way Stripe reads them', () => {
    expect(
      stripeForm({ a: 1, b: { c: 'x', d: [{ e: true }] }, skip: undefined, none: null }).toString(),
    ).toBe('a=1&b%5Bc%5D=x&b%5Bd%5D%5B0%5D%5Be%5D=true');
  });
});
