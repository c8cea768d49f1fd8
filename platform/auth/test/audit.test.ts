import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../src/db/schema.js';
import {
  auditCount,
  backends,
  Browser,
  GOOD_PASSWORD,
  signUp,
  startAuth,
  uniqueEmail,
  type Harness,
} from './helpers.js';

describe.each(backends)('audit log and input validation ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  const userCount = async () =>
    (await h.database.db.select({ n: sql<number>`count(*)::int` }).from(users))[0]?.n ?? 0;

  it('writes an audit row for each mutation of a sign-up, with the request id and no secrets', async () => {
    const before = await auditCount(h.database);
    const browser = new Browser(h.service);
    const email = uniqueEmail();
    const res = await browser.post(
      '/api/auth/sign-up',
      { email, password: GOOD_PASSWORD, displayName: 'Audited' },
      { 'x-request-id': 'req-audit-1' },
    );
    expect(res.status).toBe(201);
    const page = await h.service.accounts.auditLog({ limit: 20 });
    const rows = page.items.filter((r) => r.requestId === 'req-audit-1');
    expect(rows.map((r) => r.action).sort()).toEqual(
      [
        'membership.create',
        'one_time_token.create',
        'organization.create',
        'notification.enqueue',
        'session.create',
        'user.create',
      ].sort(),
    );
    expect(await auditCount(h.database)).toBe(before + 6);
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/\$argon2id\$/);
    expect(text).not.toContain(browser.cookie as string);
    const userRow = rows.find((r) => r.action === 'user.create');
    expect(userRow?.actor).toBe((res.body['user'] as { id: string }).id);
  });

  it('leaves neither the change nor its audit rows when a mutation fails midway', async () => {
    const auditBefore = await auditCount(h.database);
    const usersBefore = await userCount();
    // Make the last step of sign-up (the session insert) fail after the user, organization, membership
    // and their audit rows were written in the same transaction.
    await h.database.db.execute(sql`alter table sessions add constraint test_block check (false) not valid`);
    try {
      const res = await new Browser(h.service).post('/api/auth/sign-up', {
        email: uniqueEmail(),
        password: GOOD_PASSWORD,
        displayName: 'Doomed',
      });
      expect(res.status).toBe(500);
    } finally {
      await h.database.db.execute(sql`alter table sessions drop constraint test_block`);
    }
    expect(await auditCount(h.database)).toBe(auditBefore);
    expect(await userCount()).toBe(usersBefore);
  });

  it('writes no audit row when a mutation is refused', async () => {
    const admin = await signUp(h.service);
    const before = await auditCount(h.database);
    const refused = [
      await admin.browser.post(`/api/orgs/${admin.orgId}/members`, { email: uniqueEmail(), role: 'member' }), // no such user
      await admin.browser.request('PATCH', `/api/orgs/${admin.orgId}/members/${admin.userId}`, {
        role: 'member',
      }), // last admin
      await admin.browser.request('DELETE', `/api/orgs/${admin.orgId}/members/${admin.userId}`), // last admin
      await new Browser(h.service).post('/api/auth/sign-up', {
        email: admin.email,
        password: GOOD_PASSWORD,
        displayName: 'Dup',
      }),
    ];
    expect(refused.map((r) => r.status)).toEqual([404, 412, 412, 409]);
    // The last admin is told what to do instead.
    for (const r of refused.slice(1, 3))
      expect(r.body['detail']).toBe(
        'An organization needs at least one admin: make another member an admin first',
      );
    expect(await auditCount(h.database)).toBe(before);
  });

  it('answers bad input with 400 problem+json naming the field, and changes nothing', async () => {
    const usersBefore = await userCount();
    const auditBefore = await auditCount(h.database);
    const cases: Array<[string, unknown, string?]> = [
      ['wrong type', { email: 5, password: GOOD_PASSWORD, displayName: 'X' }, 'email'],
      ['missing field', { email: uniqueEmail(), displayName: 'X' }, 'password'],
      [
        'oversize field',
        { email: uniqueEmail(), password: GOOD_PASSWORD, displayName: 'x'.repeat(101) },
        'displayName',
      ],
      [
        'oversize password',
        { email: uniqueEmail(), password: 'p'.repeat(2000), displayName: 'X' },
        'password',
      ],
      [
        'unknown field',
        { email: uniqueEmail(), password: GOOD_PASSWORD, displayName: 'X', isSuperadmin: true },
      ],
      ['not an e-mail', { email: 'nobody', password: GOOD_PASSWORD, displayName: 'X' }, 'email'],
      ['array body', [1, 2, 3]],
    ];
    for (const [label, body, field] of cases) {
      const res = await new Browser(h.service).post('/api/auth/sign-up', body);
      expect(res.status, label).toBe(400);
      expect(res.headers['content-type'], label).toContain('application/problem+json');
      if (field !== undefined) expect(JSON.stringify(res.body['errors']), label).toContain(field);
    }
    const malformed = await new Browser(h.service).request('POST', '/api/auth/sign-up', '{"email":', {
      'content-type': 'application/json',
    });
    expect(malformed.status).toBe(400);
    const admin = await signUp(h.service);
    const afterSignUp = await auditCount(h.database);
    const badRole = await admin.browser.post(`/api/orgs/${admin.orgId}/members`, {
      email: admin.email,
      role: 'owner',
    });
    expect(badRole.status).toBe(400);
    const badLimit = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?limit=100000`);
    expect(badLimit.status).toBe(400);
    const badCursor = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?cursor=nonsense`);
    expect(badCursor.status).toBe(400);
    expect(await auditCount(h.database)).toBe(afterSignUp);
    expect(afterSignUp - auditBefore).toBe(6);
    expect(await userCount()).toBe(usersBefore + 1);
  });

  it('refuses a body over the size limit without touching anything', async () => {
    const usersBefore = await userCount();
    const res = await new Browser(h.service).post('/api/auth/sign-up', {
      email: uniqueEmail(),
      password: GOOD_PASSWORD,
      displayName: 'X',
      pad: 'x'.repeat(70_000),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await userCount()).toBe(usersBefore);
  });

  it('pages the org audit log with a cursor, newest first, scoped to the organization', async () => {
    const admin = await signUp(h.service);
    for (let i = 0; i < 5; i += 1)
      await admin.browser.request('PATCH', `/api/orgs/${admin.orgId}`, { name: `Name ${i}` });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin.browser.get(
        `/api/orgs/${admin.orgId}/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      const items = res.body['items'] as Array<{ id: number; orgId: string }>;
      for (const item of items) {
        expect(item.orgId).toBe(admin.orgId);
        seen.push(item.id);
      }
      cursor = res.body['nextCursor'] as string | null;
    } while (cursor !== null);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(seen.length).toBe(7); // organization.create, membership.create, five renames
  });
});
