// What the admin dashboard asks of auth beyond listing: forcing a member out of every session, and reading
// the audit log narrowed by actor, action, target and time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, signIn, signUp, startAuth, type Browser, type Harness } from './helpers.js';

interface Account {
  browser: Browser;
  email: string;
  userId: string;
  orgId: string;
}

describe.each(backends)('force sign-out and audit filters ($name)', (backend) => {
  let h: Harness;
  let root: Account;
  let admin: Account;
  let member: Account;
  let outsider: Account;

  beforeAll(async () => {
    h = await startAuth(backend);
    root = await signUp(h.service, { name: 'Root' }); // the first account: superadmin
    admin = await signUp(h.service, { name: 'Admin' });
    member = await signUp(h.service, { name: 'Member' });
    outsider = await signUp(h.service, { name: 'Outsider' });
    // The member's own organization would make it "in other organizations": join admin's org and leave theirs.
    expect(
      (await admin.browser.post(`/api/orgs/${admin.orgId}/members`, { email: member.email, role: 'member' }))
        .status,
    ).toBe(201);
    const other = await signUp(h.service, { name: 'Other admin' });
    expect(
      (await member.browser.post(`/api/orgs/${member.orgId}/members`, { email: other.email, role: 'admin' }))
        .status,
    ).toBe(201);
    expect(
      (await member.browser.request('DELETE', `/api/orgs/${member.orgId}/members/${member.userId}`)).status,
    ).toBe(204);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('ends every session of a member at once and records who did it in the organization log', async () => {
    const second = await signIn(h.service, member.email);
    expect((await member.browser.get('/api/auth/me')).status).toBe(200);
    expect((await second.get('/api/auth/me')).status).toBe(200);

    const res = await admin.browser.post(
      `/api/orgs/${admin.orgId}/members/${member.userId}/sign-out`,
      {},
      { 'x-request-id': 'req-force-out' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: member.userId, sessionsEnded: 2 });
    expect((await member.browser.get('/api/auth/me')).status).toBe(401);
    expect((await second.get('/api/auth/me')).status).toBe(401);

    const log = await admin.browser.get(
      `/api/orgs/${admin.orgId}/audit?action=user.sign_out_all&target=${member.userId}`,
    );
    expect(log.status).toBe(200);
    const items = log.body['items'] as Array<Record<string, unknown>>;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      actor: admin.userId,
      action: 'user.sign_out_all',
      entityId: member.userId,
      orgId: admin.orgId,
      after: { sessionsEnded: 2 },
      requestId: 'req-force-out',
    });
    // The member signs in again afterwards: sign-out is not a ban.
    member.browser = await signIn(h.service, member.email);
  });

  it('lets the superadmin sign out any account, and refuses everyone else that route', async () => {
    const res = await root.browser.post(`/api/admin/users/${outsider.userId}/sign-out`);
    expect(res.status).toBe(200);
    expect(res.body['sessionsEnded']).toBe(1);
    expect((await outsider.browser.get('/api/auth/me')).status).toBe(401);
    outsider.browser = await signIn(h.service, outsider.email);

    const denied = await admin.browser.post(`/api/admin/users/${outsider.userId}/sign-out`);
    expect(denied.status).toBe(403);
    expect(denied.body['reason']).toBe('missing_permission');
    expect((await outsider.browser.get('/api/auth/me')).status).toBe(200);
  });

  it('finds a person by the id an audit log names, as well as by name or e-mail', async () => {
    const ids = (body: Record<string, unknown>) =>
      (body['items'] as Array<{ id?: string; user?: { id: string } }>).map((i) => i.id ?? i.user!.id);
    const byId = await root.browser.get(`/api/admin/users?q=${member.userId}`);
    expect(ids(byId.body)).toEqual([member.userId]);
    const members = await admin.browser.get(`/api/orgs/${admin.orgId}/members?q=${member.userId}`);
    expect(ids(members.body)).toEqual([member.userId]);
    // Part of an id is not a match (ids are not searched as text), part of a name is.
    const part = await root.browser.get(`/api/admin/users?q=${member.userId.slice(0, 8)}`);
    expect(ids(part.body)).toEqual([]);
    expect(ids((await root.browser.get('/api/admin/users?q=outsid')).body)).toEqual([outsider.userId]);
  });

  it('refuses a member, an admin of another organization, and accounts outside the organization', async () => {
    const byMember = await member.browser.post(`/api/orgs/${admin.orgId}/members/${admin.userId}/sign-out`);
    expect(byMember.status).toBe(403);
    expect(byMember.body['reason']).toBe('missing_permission');

    const byOutsider = await outsider.browser.post(
      `/api/orgs/${admin.orgId}/members/${member.userId}/sign-out`,
    );
    expect(byOutsider.status).toBe(403);
    expect(byOutsider.body['reason']).toBe('missing_permission');

    // An admin names their own organization but a user who is not in it.
    const notMember = await admin.browser.post(
      `/api/orgs/${admin.orgId}/members/${outsider.userId}/sign-out`,
    );
    expect(notMember.status).toBe(404);
    expect((await outsider.browser.get('/api/auth/me')).status).toBe(200);
    expect((await member.browser.get('/api/auth/me')).status).toBe(200);
  });

  it('refuses bad input with a problem document and changes nothing', async () => {
    const malformed = await admin.browser.post(`/api/orgs/${admin.orgId}/members/not-an-id/sign-out`);
    expect(malformed.status).toBe(404);
    expect(String(malformed.headers['content-type'])).toContain('application/problem+json');

    const self = await admin.browser.post(`/api/orgs/${admin.orgId}/members/${admin.userId}/sign-out`);
    expect(self.body['reason']).toBe('self');
    expect((await admin.browser.get('/api/auth/me')).status).toBe(200);

    const badFrom = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?from=yesterday`);
    expect(badFrom.status).toBe(400);
    expect(badFrom.body['errors']).toEqual([expect.objectContaining({ field: 'from' })]);

    const backwards = await admin.browser.get(
      `/api/orgs/${admin.orgId}/audit?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z`,
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body['errors']).toEqual([expect.objectContaining({ field: 'to' })]);
  });

  it('narrows the audit log by actor, action prefix, target and time range', async () => {
    const all = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?limit=100`);
    const items = all.body['items'] as Array<{ actor: string; action: string; entityId: string; at: string }>;
    expect(items.length).toBeGreaterThan(3);

    // Several people act in the platform log; the filter keeps exactly one person's events.
    const everything = (await root.browser.get('/api/admin/audit?limit=100')).body['items'] as typeof items;
    expect(new Set(everything.map((e) => e.actor)).size).toBeGreaterThan(2);
    const byActor = await root.browser.get(`/api/admin/audit?limit=100&actor=${member.userId}`);
    const actorItems = byActor.body['items'] as typeof items;
    expect(actorItems.length).toBeGreaterThan(0);
    expect(actorItems).toEqual(everything.filter((e) => e.actor === member.userId));

    const byPrefix = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?limit=100&action=membership.`);
    const prefixItems = byPrefix.body['items'] as typeof items;
    expect(prefixItems.map((e) => e.action).sort()).toEqual(
      items
        .filter((e) => e.action.startsWith('membership.'))
        .map((e) => e.action)
        .sort(),
    );
    // The prefix is literal: `_` and `%` match only themselves.
    const literal = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?action=user%25`);
    expect(literal.body['items']).toEqual([]);

    const newest = items[0];
    if (newest === undefined) throw new Error('no audit events');
    const at = Date.parse(newest.at);
    const window = await admin.browser.get(
      `/api/orgs/${admin.orgId}/audit?limit=100&from=${new Date(at).toISOString()}&to=${new Date(at + 1).toISOString()}`,
    );
    const windowItems = window.body['items'] as typeof items;
    expect(windowItems.length).toBeGreaterThan(0);
    expect(windowItems.every((e) => e.at === newest.at)).toBe(true);
    const before = await admin.browser.get(
      `/api/orgs/${admin.orgId}/audit?limit=100&to=${new Date(at).toISOString()}`,
    );
    expect((before.body['items'] as typeof items).some((e) => e.at === newest.at)).toBe(false);

    // The platform log takes the same filters.
    const platform = await root.browser.get(`/api/admin/audit?action=user.sign_out_all&limit=100`);
    expect(platform.status).toBe(200);
    const targets = (platform.body['items'] as typeof items).map((e) => e.entityId).sort();
    expect(targets).toEqual([member.userId, outsider.userId].sort());
  });
});
