// Inviting an address without an account into an organization: the mailed single-use link (hashed at
// rest, expiring), signing up with it into the organization, the pending list with send-again and
// withdraw, tenancy, duplicates, and bad input.
import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnqueueRequest } from '@origo/proto/notification-rpc';
import { hashToken } from '../src/crypto.js';
import { invitations, notificationRelay, users } from '../src/db/schema.js';
import { createAuthService } from '../src/index.js';
import { INVITATION_TTL_MS } from '../src/invitations.js';
import { INVITATION_MAILS_PER_HOUR } from '../src/routes/invitation-routes.js';
import {
  GOOD_PASSWORD,
  KEK,
  TEST_ARGON2,
  auditCount,
  backends,
  Browser,
  signIn,
  signUp,
  startAuth,
  uniqueEmail,
  type Harness,
} from './helpers.js';

interface Account {
  browser: Browser;
  email: string;
  userId: string;
  orgId: string;
}

/** The invitation mails auth handed to its relay for `to`, newest first, with the link's token. */
async function invitationMails(h: Harness, to: string) {
  const rows = await h.service.database.db
    .select()
    .from(notificationRelay)
    .where(eq(notificationRelay.rpc, 'enqueue'))
    .orderBy(desc(notificationRelay.createdAt), desc(notificationRelay.id));
  const out: Array<{ token: string; orgId: string; value: Record<string, unknown> }> = [];
  for (const row of rows) {
    const request = EnqueueRequest.fromJSON(row.payload);
    if (request.recipient?.email !== to || request.params?.$case !== 'orgInvitation') continue;
    const token = /#invitation=([a-z2-7]+)$/.exec(request.params.value.actionUrl)?.[1];
    if (token === undefined) throw new Error(`no token in ${request.params.value.actionUrl}`);
    out.push({ token, orgId: request.orgId, value: { ...request.params.value } });
  }
  return out;
}

async function newestToken(h: Harness, to: string): Promise<string> {
  const [mail] = await invitationMails(h, to);
  if (mail === undefined) throw new Error(`no invitation mail to ${to}`);
  return mail.token;
}

function accept(h: Harness, token: string, email: string, extra: Record<string, unknown> = {}) {
  return new Browser(h.service).post('/api/auth/invitations/accept', {
    token,
    email,
    password: GOOD_PASSWORD,
    displayName: 'Nia New',
    ...extra,
  });
}

describe.each(backends)('organization invitations ($name)', (backend) => {
  let h: Harness;
  let root: Account;
  let admin: Account;
  let member: Account;
  let otherAdmin: Account;

  beforeAll(async () => {
    h = await startAuth(backend);
    root = await signUp(h.service, { name: 'Root' }); // the first account: superadmin
    admin = await signUp(h.service, { name: 'Ada <Admin> & Co' });
    member = await signUp(h.service, { name: 'Mo Member' });
    otherAdmin = await signUp(h.service, { name: 'Olga Other' });
    const res = await admin.browser.post(`/api/orgs/${admin.orgId}/members`, {
      email: member.email,
      role: 'member',
    });
    expect(res.status).toBe(201);
    expect(
      (await admin.browser.request('PATCH', `/api/orgs/${admin.orgId}`, { name: 'Acme "R&D" <Labs>' }))
        .status,
    ).toBe(200);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('mails a single-use sign-up link whose token is stored only as a hash, and lists the invitation', async () => {
    const email = uniqueEmail('nia');
    const res = await admin.browser.post(
      `/api/orgs/${admin.orgId}/invitations`,
      { email, role: 'host' },
      { 'x-request-id': 'req-invite' },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      outcome: 'invited',
      resent: false,
      invitation: { email, role: 'host', invitedBy: { id: admin.userId }, sendCount: 1, expired: false },
    });

    const mails = await invitationMails(h, email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.orgId).toBe(admin.orgId);
    expect(mail.value).toMatchObject({
      orgId: admin.orgId,
      orgName: 'Acme "R&D" <Labs>',
      inviterName: 'Ada <Admin> & Co',
      role: 'host',
      actionUrl: `https://origo.test/sign-up#invitation=${mail.token}`,
      expiresInHours: INVITATION_TTL_MS / 3_600_000,
    });

    // At rest: the SHA-256 of the token, never the token itself.
    const [row] = await h.service.database.db.select().from(invitations).where(eq(invitations.email, email));
    expect(row?.tokenHash).toBe(hashToken(mail.token));
    expect(JSON.stringify(row)).not.toContain(mail.token);

    const list = await admin.browser.get(`/api/orgs/${admin.orgId}/invitations`);
    expect(list.status).toBe(200);
    const items = list.body['items'] as Array<Record<string, unknown>>;
    expect(items.find((i) => i['email'] === email)).toMatchObject({
      role: 'host',
      invitedBy: { id: admin.userId, displayName: 'Ada <Admin> & Co' },
      expired: false,
    });

    const log = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?target=${String(row?.id)}`);
    const actions = (log.body['items'] as Array<Record<string, unknown>>).map((e) => e['action']);
    expect(actions).toEqual(['invitation.create']);
    const created = (log.body['items'] as Array<Record<string, unknown>>)[0]!;
    expect(created).toMatchObject({ actor: admin.userId, requestId: 'req-invite', orgId: admin.orgId });
    // The audit log, which org admins read, holds no token hash.
    expect(JSON.stringify(created)).not.toContain(hashToken(mail.token));
    const queued = await admin.browser.get(
      `/api/orgs/${admin.orgId}/audit?action=notification.enqueue&actor=${admin.userId}`,
    );
    expect(queued.body['items']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ after: { kind: 'orgInvitation', invitationId: row?.id } }),
      ]),
    );
  });

  it('signs the invitee up straight into the organization with the invited role, once', async () => {
    const email = uniqueEmail('ivy');
    expect(
      (await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'host' })).status,
    ).toBe(201);
    const token = await newestToken(h, email);

    const preview = await new Browser(h.service).post('/api/auth/invitations/preview', { token });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      email,
      organization: { id: admin.orgId, name: 'Acme "R&D" <Labs>' },
      role: 'host',
      invitedBy: 'Ada <Admin> & Co',
    });

    // Another address than the invited one is refused, and nothing is used up.
    const wrong = await accept(h, token, uniqueEmail('someone-else'));
    expect(wrong.status).toBe(400);
    expect(String(wrong.headers['content-type'])).toContain('application/problem+json');
    expect(wrong.body['errors']).toEqual([expect.objectContaining({ field: 'email' })]);
    const weak = await accept(h, token, email, { password: 'password' });
    expect(weak.status).toBe(400);
    expect(weak.body['errors']).toEqual([expect.objectContaining({ field: 'password' })]);
    // A missing name and a short password come back together.
    const both = await accept(h, token, email, { password: 'short1', displayName: '' });
    expect(both.status).toBe(400);
    expect(both.body['errors']).toEqual([
      { field: 'password', message: 'must be at least 8 characters' },
      { field: 'displayName', message: 'is required' },
    ]);

    const invitee = new Browser(h.service);
    const joined = await invitee.post('/api/auth/invitations/accept', {
      token,
      email: email.toUpperCase(),
      password: GOOD_PASSWORD,
      displayName: 'Ivy Invited',
    });
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({
      organization: { id: admin.orgId, name: 'Acme "R&D" <Labs>' },
      role: 'host',
      user: { displayName: 'Ivy Invited', emailVerified: true },
    });
    const me = await invitee.get('/api/auth/me');
    expect(me.status).toBe(200);
    // Only the inviting organization: no organization of their own is made.
    expect(me.body['memberships']).toEqual([
      { orgId: admin.orgId, orgName: 'Acme "R&D" <Labs>', role: 'host' },
    ]);
    const userId = (joined.body['user'] as { id: string }).id;

    const again = await accept(h, token, email);
    expect(again.status).toBe(412);
    expect(again.body['reason']).toBe('invitation_used');
    const stale = await new Browser(h.service).post('/api/auth/invitations/preview', { token });
    expect(stale.body['reason']).toBe('invitation_used');

    const list = await admin.browser.get(`/api/orgs/${admin.orgId}/invitations`);
    expect((list.body['items'] as Array<{ email: string }>).map((i) => i.email)).not.toContain(email);
    const log = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?actor=${userId}`);
    expect((log.body['items'] as Array<{ action: string }>).map((e) => e.action)).toEqual(
      expect.arrayContaining(['invitation.accept', 'membership.create']),
    );
  });

  it('lets exactly one of two simultaneous sign-ups with one link through', async () => {
    const email = uniqueEmail('race');
    await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    const token = await newestToken(h, email);
    const results = await Promise.all([accept(h, token, email), accept(h, token, email)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 412]);
    const [{ n } = { n: -1 }] = await h.service.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(users)
      .where(sql`lower(${users.email}) = ${email}`);
    expect(n).toBe(1);
  });

  it('keeps one pending invitation when the same address is invited twice, with the newer role', async () => {
    const email = uniqueEmail('twice');
    const first = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    expect(first.status).toBe(201);
    const firstToken = await newestToken(h, email);
    const second = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, {
      email: email.toUpperCase(),
      role: 'admin',
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ outcome: 'invited', resent: true });
    expect((second.body['invitation'] as { id: string }).id).toBe(
      (first.body['invitation'] as { id: string }).id,
    );
    const rows = await h.service.database.db
      .select()
      .from(invitations)
      .where(and(eq(invitations.orgId, admin.orgId as never), sql`lower(email) = ${email}`));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.role).toBe('admin');
    // The second mail goes to the address as first invited, with the new role and a new link.
    const mails = await invitationMails(h, email);
    expect(mails).toHaveLength(2);
    expect(mails[0]?.value['role']).toBe('admin');
    expect(mails[0]?.token).not.toBe(firstToken);
    expect((await accept(h, firstToken, email)).body['reason']).toBe('invitation_invalid');

    // Two at once still make one invitation.
    const racing = uniqueEmail('racing');
    const both = await Promise.all([
      admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email: racing, role: 'member' }),
      admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email: racing, role: 'member' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 201]);
    const racingRows = await h.service.database.db
      .select()
      .from(invitations)
      .where(eq(invitations.email, racing));
    expect(racingRows).toHaveLength(1);
  });

  it('withdraws an invitation: its link says so, and it leaves the list', async () => {
    const email = uniqueEmail('gone');
    const res = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    const id = (res.body['invitation'] as { id: string }).id;
    const token = await newestToken(h, email);
    const revoked = await admin.browser.request('DELETE', `/api/orgs/${admin.orgId}/invitations/${id}`);
    expect(revoked.status).toBe(204);
    const preview = await new Browser(h.service).post('/api/auth/invitations/preview', { token });
    expect(preview.status).toBe(412);
    expect(preview.body['reason']).toBe('invitation_revoked');
    expect((await accept(h, token, email)).body['reason']).toBe('invitation_revoked');
    const list = await admin.browser.get(`/api/orgs/${admin.orgId}/invitations`);
    expect((list.body['items'] as Array<{ id: string }>).map((i) => i.id)).not.toContain(id);
    expect((await admin.browser.request('DELETE', `/api/orgs/${admin.orgId}/invitations/${id}`)).status).toBe(
      204,
    );
    const resend = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations/${id}/resend`);
    expect(resend.body['reason']).toBe('invitation_revoked');
    const log = await admin.browser.get(`/api/orgs/${admin.orgId}/audit?target=${id}`);
    expect((log.body['items'] as Array<{ action: string }>).map((e) => e.action)).toEqual([
      'invitation.revoke',
      'invitation.create',
    ]);
    // Invited again after withdrawing: a new invitation.
    const again = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    expect(again.status).toBe(201);
    expect((again.body['invitation'] as { id: string }).id).not.toBe(id);
  });

  it('adds an address that has an account at once, as before', async () => {
    const existing = await signUp(h.service, { name: 'Eve Existing' });
    const res = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, {
      email: existing.email,
      role: 'member',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      outcome: 'member_added',
      member: { user: { id: existing.userId }, role: 'member' },
    });
    expect(await invitationMails(h, existing.email)).toEqual([]);
    const twice = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, {
      email: existing.email,
      role: 'member',
    });
    expect(twice.status).toBe(409);
    expect(twice.body['reason']).toBe('already_member');
  });

  it('lets admins act only in their own organization', async () => {
    const email = uniqueEmail('tenant');
    const res = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    const id = (res.body['invitation'] as { id: string }).id;
    const before = await auditCount(h.database);

    for (const [who, browser] of [
      ['member', member.browser],
      ['other admin', otherAdmin.browser],
    ] as const) {
      const attempts = [
        await browser.post(`/api/orgs/${admin.orgId}/invitations`, { email: uniqueEmail(), role: 'admin' }),
        await browser.get(`/api/orgs/${admin.orgId}/invitations`),
        await browser.post(`/api/orgs/${admin.orgId}/invitations/${id}/resend`),
        await browser.request('DELETE', `/api/orgs/${admin.orgId}/invitations/${id}`),
      ];
      for (const a of attempts) {
        expect(a.status, who).toBe(403);
        expect(a.body['reason'], who).toBe('missing_permission');
      }
    }
    // Naming their own organization with another organization's invitation finds nothing.
    const own = `/api/orgs/${otherAdmin.orgId}/invitations/${id}`;
    expect((await otherAdmin.browser.post(`${own}/resend`)).status).toBe(404);
    expect((await otherAdmin.browser.request('DELETE', own)).status).toBe(404);
    expect(await auditCount(h.database)).toBe(before);
    expect(await invitationMails(h, email)).toHaveLength(1);

    // The superadmin may act in any organization.
    const bySuper = await root.browser.post(`/api/orgs/${admin.orgId}/invitations/${id}/resend`);
    expect(bySuper.status).toBe(200);
    expect(bySuper.body).toMatchObject({ invitedBy: { id: root.userId } });
  });

  it('refuses bad input with a problem document and changes nothing', async () => {
    const before = await auditCount(h.database);
    const url = `/api/orgs/${admin.orgId}/invitations`;
    const badEmail = await admin.browser.post(url, { email: 'not-an-address', role: 'member' });
    expect(badEmail.status).toBe(400);
    expect(String(badEmail.headers['content-type'])).toContain('application/problem+json');
    expect(badEmail.body['errors']).toEqual([expect.objectContaining({ field: 'email' })]);
    const badRole = await admin.browser.post(url, { email: uniqueEmail(), role: 'owner' });
    expect(badRole.status).toBe(400);
    expect(badRole.body['errors']).toEqual([
      expect.objectContaining({ field: 'role', message: 'must be one of admin, host, member' }),
    ]);
    const extra = await admin.browser.post(url, { email: uniqueEmail(), role: 'member', admin: true });
    expect(extra.status).toBe(400);
    expect((await admin.browser.post(`${url}/not-an-id/resend`)).status).toBe(404);
    const garbage = await new Browser(h.service).post('/api/auth/invitations/preview', {
      token: 'x'.repeat(32),
    });
    expect(garbage.status).toBe(412);
    expect(garbage.body['reason']).toBe('invitation_invalid');
    const noToken = await new Browser(h.service).post('/api/auth/invitations/preview', {});
    expect(noToken.status).toBe(400);
    expect(await auditCount(h.database)).toBe(before);
  });

  it('limits how many invitation mails one organization sends an hour', async () => {
    const busy = await signUp(h.service, { name: 'Busy Admin' });
    const url = `/api/orgs/${busy.orgId}/invitations`;
    for (let i = 0; i < INVITATION_MAILS_PER_HOUR; i += 1) {
      const res = await busy.browser.post(url, { email: uniqueEmail(`bulk${i}`), role: 'member' });
      expect(res.status).toBe(201);
    }
    const refused = await busy.browser.post(url, { email: uniqueEmail('one-more'), role: 'member' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    // Other organizations are not affected.
    const elsewhere = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, {
      email: uniqueEmail('elsewhere'),
      role: 'member',
    });
    expect(elsewhere.status).toBe(201);
  });
});

// Their own installations: one moves its clock past the invitation period (and every session's idle
// limit), the other has open sign-up turned off.
describe('invitation links over time, and without open sign-up', () => {
  const backend = backends[0]!;
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('refuses an expired link with what to do next; sending again gives a new link and kills the old one', async () => {
    const admin = await signUp(h.service, { name: 'Ada Admin' });
    const email = uniqueEmail('late');
    const first = await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    const id = (first.body['invitation'] as { id: string }).id;
    const oldToken = await newestToken(h, email);

    h.clock.advance(INVITATION_TTL_MS + 1);
    const expired = await new Browser(h.service).post('/api/auth/invitations/preview', { token: oldToken });
    expect(expired.status).toBe(412);
    expect(expired.body['reason']).toBe('invitation_expired');
    expect(String(expired.body['detail'])).toMatch(/Ask an admin of the organization/);
    expect((await accept(h, oldToken, email)).body['reason']).toBe('invitation_expired');

    const again = await signIn(h.service, admin.email);
    const list = await again.get(`/api/orgs/${admin.orgId}/invitations`);
    expect((list.body['items'] as Array<{ id: string }>).find((i) => i.id === id)).toMatchObject({
      expired: true,
    });
    const resent = await again.post(`/api/orgs/${admin.orgId}/invitations/${id}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ id, sendCount: 2, expired: false });
    const newToken = await newestToken(h, email);
    expect(newToken).not.toBe(oldToken);
    const replaced = await new Browser(h.service).post('/api/auth/invitations/preview', { token: oldToken });
    expect(replaced.body['reason']).toBe('invitation_invalid');
    expect((await accept(h, newToken, email)).status).toBe(201);
  });

  it('signs up an invited address where open sign-up is disabled, and nobody else', async () => {
    const admin = await signUp(h.service, { name: 'First Admin' });
    const email = uniqueEmail('invited');
    await admin.browser.post(`/api/orgs/${admin.orgId}/invitations`, { email, role: 'member' });
    const token = await newestToken(h, email);
    const closed = await createAuthService({
      database: h.database,
      keyEncryptionKey: KEK,
      argon2: TEST_ARGON2,
      now: h.clock.now,
      trustProxy: true,
      settings: { cookieSecure: true, publicUrl: 'https://origo.test', signupEnabled: false },
    });
    try {
      const walkIn = await new Browser(closed).post('/api/auth/sign-up', {
        email: uniqueEmail('walk-in'),
        password: GOOD_PASSWORD,
        displayName: 'Walk In',
      });
      expect(walkIn.body['reason']).toBe('signup_disabled');
      const invited = await new Browser(closed).post('/api/auth/invitations/accept', {
        token,
        email,
        password: GOOD_PASSWORD,
        displayName: 'Ivo Invited',
      });
      expect(invited.status).toBe(201);
      expect(invited.body).toMatchObject({ organization: { id: admin.orgId }, role: 'member' });
    } finally {
      await closed.close();
    }
  });
});
