// What the admin area's Plan and usage and Audit tabs ask of billing: creating a plan, refusing a
// subscription for an organization auth does not know (and failing clearly while auth is away), and
// billing's own audit log for the superadmin and, narrowed to their subscription, for an org's admins.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpOrganizations } from '../src/index.js';
import { startBilling, type Harness, type Who } from './helpers.js';

const SUPER: Who = { id: 'usr_root', superadmin: true };
const ADMIN_A: Who = { id: 'usr_admin_a', orgs: { org_a: 'admin' } };
const MEMBER_A: Who = { id: 'usr_member_a', orgs: { org_a: 'member' } };
const ADMIN_B: Who = { id: 'usr_admin_b', orgs: { org_b: 'admin' } };

const PLAN = {
  name: 'Studio',
  max_participants: 50,
  max_meeting_minutes: 90,
  recording_allowed: true,
  recording_hours: 10,
  storage_gb: 3,
  price_monthly_cents: 1900,
};

let h: Harness;
beforeAll(async () => {
  h = await startBilling();
});
afterAll(async () => {
  await h.close();
});

describe('creating a plan', () => {
  it('creates a plan once, refuses its id a second time, and leaves the first one as it was', async () => {
    const created = await h.call('POST', '/api/billing/plans', SUPER, { id: 'studio', ...PLAN });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'studio', name: 'Studio', max_participants: 50, active: true });
    const again = await h.call('POST', '/api/billing/plans', SUPER, { id: 'studio', ...PLAN, name: 'Other' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe('A plan with the id studio already exists');
    const plans = (await h.call('GET', '/api/billing/plans', MEMBER_A)).body.items as Array<{ id: string }>;
    expect(plans.find((p) => p.id === 'studio')).toMatchObject({ name: 'Studio' });
  });

  it('refuses bad fields with a problem naming each field, and anyone but the superadmin', async () => {
    const bad = await h.call('POST', '/api/billing/plans', SUPER, {
      ...PLAN,
      id: 'Not a slug',
      max_participants: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['id', 'max_participants']);
    // Messages a person can act on, not the validator's own wording.
    const words = await h.call('POST', '/api/billing/plans', SUPER, {
      ...PLAN,
      id: 'words',
      name: ' ',
      max_participants: -5,
      currency: 'usd1',
    });
    expect(words.status).toBe(400);
    const message = (field: string) =>
      (words.body.errors as Array<{ field: string; message: string }>).find((e) => e.field === field)
        ?.message;
    expect(message('name')).toBe('must not be empty');
    expect(message('max_participants')).toBe('must be a whole number from 2 to 100000');
    expect(message('currency')).toMatch(/three-letter ISO 4217 code/);
    expect((await h.call('POST', '/api/billing/plans', ADMIN_A, { id: 'mine', ...PLAN })).status).toBe(403);
    const plans = (await h.call('GET', '/api/billing/plans', MEMBER_A)).body.items as Array<{ id: string }>;
    expect(plans.map((p) => p.id)).not.toContain('mine');
  });
});

describe('subscriptions only for organizations auth knows', () => {
  it('refuses an organization id that does not exist, and changes nothing', async () => {
    const refused = await h.call('PUT', '/api/billing/orgs/org_missing_1/subscription', SUPER, {
      plan_id: 'pro',
    });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe('Organization not found');
    const sub = await h.call('GET', '/api/billing/orgs/org_missing_1/subscription', SUPER);
    expect(sub.body).toMatchObject({ default_plan: true, plan: { id: 'free' } });
    const log = await h.call('GET', '/api/billing/audit?target=org_missing_1', SUPER);
    expect(log.body.items).toEqual([]);
  });

  it('refuses a tax rate for an organization id that does not exist, and changes nothing', async () => {
    const refused = await h.call('PUT', '/api/billing/orgs/org_missing_2/tax-rate', SUPER, {
      tax_rate_percent: '19',
    });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe('Organization not found');
    const rate = await h.call('GET', '/api/billing/orgs/org_missing_2/tax-rate', SUPER);
    expect(rate.body).toMatchObject({ org_id: 'org_missing_2', own_rate: false });
    const log = await h.call('GET', '/api/billing/audit?target=org_missing_2', SUPER);
    expect(log.body.items).toEqual([]);
  });

  describe("asking auth over HTTP with the caller's credentials", () => {
    let auth: Server;
    let authUrl: string;
    const seen: IncomingHttpHeaders[] = [];
    beforeAll(async () => {
      // Answers like auth's GET /api/orgs/:orgId: org_a exists, anything else is 404.
      auth = createServer((req, res) => {
        seen.push(req.headers);
        const known = req.url === '/api/orgs/org_a';
        res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(known ? { id: 'org_a', name: 'A' } : { title: 'Not found' }));
      });
      await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve));
      authUrl = `http://127.0.0.1:${(auth.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => auth.close(() => resolve()));
    });

    it('finds a known organization with its name and no unknown one, passing the credentials on', async () => {
      const orgs = createHttpOrganizations({ authUrl: () => Promise.resolve(authUrl) });
      expect(await orgs.lookup('org_a', { cookie: 'origo_session=abc' })).toEqual({ id: 'org_a', name: 'A' });
      expect(await orgs.lookup('org_nope', { authorization: 'Bearer t0k' })).toBeNull();
      expect(seen.map((s) => [s.cookie, s.authorization])).toEqual([
        ['origo_session=abc', undefined],
        [undefined, 'Bearer t0k'],
      ]);
    });

    it('refuses the change with 503 naming auth when auth cannot be reached, and changes nothing', async () => {
      // A port that was just free: nothing listens there.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const away = await startBilling({
        organizations: createHttpOrganizations({
          authUrl: () => Promise.resolve(`http://127.0.0.1:${port}`),
        }),
      });
      try {
        const refused = await away.call('PUT', '/api/billing/orgs/org_a/subscription', SUPER, {
          plan_id: 'pro',
        });
        expect(refused.status).toBe(503);
        expect(refused.body.reason).toBe('auth_unavailable');
        expect(refused.body.detail).toMatch(/could not ask the auth service whether the organization exists/);
        expect(refused.body.detail).toMatch(/nothing was changed/);
        const sub = await away.call('GET', '/api/billing/orgs/org_a/subscription', SUPER);
        expect(sub.body).toMatchObject({ default_plan: true });
        // The printable statement does not need auth: it shows the organization's id alone.
        const page = await fetch(`${away.http}/api/billing/orgs/org_a/invoices/preview/html`, {
          headers: { 'x-test-who': JSON.stringify(SUPER) },
        });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<dt>Organization</dt><dd>org_a</dd>');
      } finally {
        await away.close();
      }
    });
  });
});

describe("billing's audit log", () => {
  beforeAll(async () => {
    for (const [org, plan] of [
      ['org_a', 'pro'],
      ['org_b', 'business'],
      ['org_a', 'business'],
    ] as const) {
      const moved = await h.call('PUT', `/api/billing/orgs/${org}/subscription`, SUPER, { plan_id: plan });
      expect(moved.status).toBe(200);
    }
  });

  it('shows the superadmin every plan and subscription change, newest first, with filters and pages', async () => {
    const all = await h.call('GET', '/api/billing/audit?limit=100', SUPER);
    expect(all.status).toBe(200);
    const actions = (all.body.items as Array<{ action: string; entityId: string }>).map(
      (e) => `${e.action} ${e.entityId}`,
    );
    expect(actions.slice(0, 4)).toEqual([
      'subscription.changed org_a',
      'subscription.changed org_b',
      'subscription.changed org_a',
      'plan.created studio',
    ]);
    expect(all.body.items[0]).toMatchObject({
      actor: 'usr_root',
      entity: 'subscription',
      orgId: 'org_a',
      before: { planId: 'pro' },
      after: { planId: 'business' },
    });
    const subs = await h.call('GET', '/api/billing/audit?action=subscription.&target=org_b', SUPER);
    expect(subs.body.items.map((e: { entityId: string }) => e.entityId)).toEqual(['org_b']);
    const first = await h.call('GET', '/api/billing/audit?limit=2', SUPER);
    const next = await h.call('GET', `/api/billing/audit?limit=2&cursor=${first.body.nextCursor}`, SUPER);
    expect(next.body.items[0].id).toBeLessThan(first.body.items[1].id);
  });

  it("shows an organization's admins their own subscription changes only", async () => {
    const own = await h.call('GET', '/api/billing/orgs/org_a/audit', ADMIN_A);
    expect(own.status).toBe(200);
    expect(own.body.items.map((e: { action: string; orgId: string }) => `${e.action} ${e.orgId}`)).toEqual([
      'subscription.changed org_a',
      'subscription.changed org_a',
    ]);
    expect((await h.call('GET', '/api/billing/orgs/org_b/audit', ADMIN_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/orgs/org_a/audit', MEMBER_A)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/audit', ADMIN_B)).status).toBe(403);
    expect((await h.call('GET', '/api/billing/audit')).status).toBe(401);
  });

  it('refuses a bad filter with a problem naming the field', async () => {
    const bad = await h.call('GET', '/api/billing/audit?from=yesterday', SUPER);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'from' })]);
    const backwards = await h.call(
      'GET',
      '/api/billing/audit?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z',
      SUPER,
    );
    expect(backwards.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    expect((await h.call('GET', '/api/billing/audit?cursor=zz', SUPER)).status).toBe(400);
  });
});
