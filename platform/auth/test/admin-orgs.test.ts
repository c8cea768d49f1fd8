// What the admin area's organization picker and audit filters ask of auth: every organization by name for
// the superadmin, and a target filter on a user id that finds their membership events (`org:user`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, signUp, startAuth, type Browser, type Harness } from './helpers.js';

interface Account {
  browser: Browser;
  email: string;
  userId: string;
  orgId: string;
}

describe.each(backends)('organization list and membership audit ($name)', (backend) => {
  let h: Harness;
  let root: Account;
  let admin: Account;
  let member: Account;

  beforeAll(async () => {
    h = await startAuth(backend);
    root = await signUp(h.service, { name: 'Root' }); // the first account: superadmin
    admin = await signUp(h.service, { name: 'Admin' });
    member = await signUp(h.service, { name: 'Member' });
    for (const [who, name] of [
      [root, 'Root Works'],
      [admin, 'Analytical Engines'],
      [member, 'Difference Engines'],
    ] as const) {
      expect((await who.browser.request('PATCH', `/api/orgs/${who.orgId}`, { name })).status).toBe(200);
    }
    expect(
      (await admin.browser.post(`/api/orgs/${admin.orgId}/members`, { email: member.email, role: 'host' }))
        .status,
    ).toBe(201);
    expect(
      (
        await admin.browser.request('PATCH', `/api/orgs/${admin.orgId}/members/${member.userId}`, {
          role: 'member',
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('lists every organization by name for the superadmin, with a name search and pages', async () => {
    const all = await root.browser.get('/api/admin/orgs?limit=100');
    expect(all.status).toBe(200);
    const names = (all.body['items'] as Array<{ name: string }>).map((o) => o.name);
    expect(names).toEqual(['Analytical Engines', 'Difference Engines', 'Root Works']);

    const found = await root.browser.get('/api/admin/orgs?q=engines');
    expect(found.body['items']).toEqual([
      { id: admin.orgId, name: 'Analytical Engines', createdAt: expect.any(String), memberCount: 2 },
      { id: member.orgId, name: 'Difference Engines', createdAt: expect.any(String), memberCount: 1 },
    ]);
    // An id pasted into the search box finds its organization too.
    const byId = await root.browser.get(`/api/admin/orgs?q=${member.orgId}`);
    expect((byId.body['items'] as Array<{ id: string }>).map((o) => o.id)).toEqual([member.orgId]);
    // Wildcards are literal.
    expect((await root.browser.get('/api/admin/orgs?q=%25')).body['items']).toEqual([]);

    const first = await root.browser.get('/api/admin/orgs?limit=2');
    expect((first.body['items'] as unknown[]).length).toBe(2);
    const second = await root.browser.get(`/api/admin/orgs?limit=2&cursor=${first.body['nextCursor']}`);
    expect((second.body['items'] as Array<{ name: string }>).map((o) => o.name)).toEqual(['Root Works']);
    expect(second.body['nextCursor']).toBeNull();
  });

  it('refuses the organization list to anyone but the superadmin, and bad input with a problem', async () => {
    const denied = await admin.browser.get('/api/admin/orgs');
    expect(denied.status).toBe(403);
    expect(denied.body['reason']).toBe('missing_permission');
    const bad = await root.browser.get('/api/admin/orgs?limit=0');
    expect(bad.status).toBe(400);
    expect(String(bad.headers['content-type'])).toContain('application/problem+json');
    expect(bad.body['errors']).toEqual([expect.objectContaining({ field: 'limit' })]);
    const badCursor = await root.browser.get('/api/admin/orgs?cursor=nonsense');
    expect(badCursor.status).toBe(400);
  });

  it("finds a user's membership events (keyed org:user) with a target filter on the user id", async () => {
    const log = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?limit=100&target=${member.userId}`);
    expect(log.status).toBe(200);
    const items = log.body['items'] as Array<{ action: string; entityId: string }>;
    expect(items.map((e) => e.action)).toEqual(['membership.update', 'membership.create']);
    expect(items.every((e) => e.entityId === `${admin.orgId}:${member.userId}`)).toBe(true);
    // The organization's id finds them too, with the organization's own events.
    const byOrg = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?limit=100&target=${admin.orgId}`);
    const actions = (byOrg.body['items'] as Array<{ action: string }>).map((e) => e.action);
    expect(actions).toContain('membership.update');
    expect(actions).toContain('organization.update');
    // Part of an id is not a target.
    const partial = await admin.browser.get(
      `/api/orgs/${admin.orgId}/audit?target=${member.userId.slice(0, -2)}`,
    );
    expect(partial.body['items']).toEqual([]);
  });
});
