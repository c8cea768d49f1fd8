import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/crypto.js';
import {
  backends,
  Browser,
  GOOD_PASSWORD,
  signIn,
  signUp,
  startAuth,
  tokenFromOutbox,
  uniqueEmail,
  type Harness,
} from './helpers.js';

const DAY = 86_400_000;

describe.each(backends)('accounts and sessions ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('makes the first user superadmin and every sign-up the admin of a new organization', async () => {
    const first = await signUp(h.service);
    const second = await signUp(h.service);
    const me1 = await first.browser.get('/api/auth/me');
    const me2 = await second.browser.get('/api/auth/me');
    expect((me1.body['user'] as { superadmin: boolean }).superadmin).toBe(true);
    expect((me2.body['user'] as { superadmin: boolean }).superadmin).toBe(false);
    expect(me2.body['memberships']).toEqual([
      expect.objectContaining({ orgId: second.orgId, role: 'admin' }),
    ]);
  });

  it('sets an HttpOnly, Secure, SameSite=Lax session cookie holding >= 128 random bits, stored only hashed', async () => {
    const browser = new Browser(h.service);
    const email = uniqueEmail();
    const res = await browser.post('/api/auth/sign-up', { email, password: GOOD_PASSWORD, displayName: 'C' });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(
      /^origo_session=[a-z2-7]{32}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/,
    );
    const token = browser.cookie as string;
    const session = await h.service.resolvePrincipal({ cookie: `origo_session=${token}` });
    expect(session?.sessionId).toBe(hashToken(token));
    expect(session?.sessionId).not.toBe(token);
  });

  it('takes a blank organization name as none, as the form says it is optional', async () => {
    const browser = new Browser(h.service);
    const res = await browser.post('/api/auth/sign-up', {
      email: uniqueEmail(),
      password: GOOD_PASSWORD,
      displayName: 'Nia Blank',
      organizationName: '  ',
    });
    expect(res.status).toBe(201);
    const me = await browser.get('/api/auth/me');
    const [membership] = me.body['memberships'] as { orgName: string }[];
    expect(membership?.orgName).toBe("Nia Blank's organization");
  });

  it('rejects a duplicate e-mail case-insensitively', async () => {
    const { email } = await signUp(h.service);
    const again = await new Browser(h.service).post('/api/auth/sign-up', {
      email: email.toUpperCase(),
      password: GOOD_PASSWORD,
      displayName: 'X',
    });
    expect(again.status).toBe(409);
    expect(again.body['errors']).toEqual([
      { field: 'email', message: 'already has an account: sign in instead' },
    ]);
  });

  it('refuses weak passwords: short, common, equal to the e-mail', async () => {
    const email = uniqueEmail();
    for (const password of ['short1', 'password123', 'qwertyuiop', email]) {
      const res = await new Browser(h.service).post('/api/auth/sign-up', {
        email,
        password,
        displayName: 'W',
      });
      expect(res.status, password).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('names every refused field of a sign-up at once, the password policy included', async () => {
    const stranger = new Browser(h.service);
    // An empty name and a short password: both in one answer, not the password only after the name.
    const short = await stranger.post('/api/auth/sign-up', {
      email: uniqueEmail(),
      password: 'short1',
      displayName: '   ',
    });
    expect(short.status).toBe(400);
    expect(short.headers['content-type']).toContain('application/problem+json');
    expect(short.body['errors']).toEqual([
      { field: 'password', message: 'must be at least 8 characters' },
      { field: 'displayName', message: 'is required' },
    ]);

    // Every field at fault, in the body's order; the common-password check and "required" wording too.
    const all = await stranger.post('/api/auth/sign-up', {
      email: '',
      password: 'password123',
      displayName: '',
      organizationName: 'x'.repeat(101),
    });
    expect(all.status).toBe(400);
    expect(all.body['errors']).toEqual([
      { field: 'email', message: 'is required' },
      { field: 'password', message: 'is too common; choose a less predictable password' },
      { field: 'displayName', message: 'is required' },
      { field: 'organizationName', message: 'must be at most 100 characters' },
    ]);

    // A password equal to the address is refused along with the name, and a good one adds nothing.
    const email = uniqueEmail();
    const same = await stranger.post('/api/auth/sign-up', { email, password: email, displayName: '' });
    expect(same.body['errors']).toEqual([
      { field: 'password', message: 'must not be your e-mail address' },
      { field: 'displayName', message: 'is required' },
    ]);
    const good = await stranger.post('/api/auth/sign-up', {
      email: 'not-an-address',
      password: GOOD_PASSWORD,
      displayName: 'Gus',
    });
    expect(good.body['errors']).toEqual([{ field: 'email', message: 'must be an e-mail address' }]);
    // A password zod already refused is reported once, in zod's words.
    const missing = await stranger.post('/api/auth/sign-up', { email, password: '', displayName: '' });
    expect(missing.body['errors']).toEqual([
      { field: 'password', message: 'is required' },
      { field: 'displayName', message: 'is required' },
    ]);
    expect(stranger.cookie).toBeUndefined();
  });

  it('issues a new token on each sign-in, and sign-out ends only that session', async () => {
    const { email, browser: a } = await signUp(h.service);
    const b = await signIn(h.service, email);
    const c = await signIn(h.service, email);
    expect(new Set([a.cookie, b.cookie, c.cookie]).size).toBe(3);
    const oldB = b.cookie;
    expect((await b.post('/api/auth/sign-out')).status).toBe(204);
    expect(b.cookie).toBeUndefined();
    b.cookie = oldB;
    expect((await b.get('/api/auth/me')).status).toBe(401);
    expect((await c.get('/api/auth/me')).status).toBe(200);
  });

  it('rejects a wrong password and an unknown account with the same answer', async () => {
    const { email } = await signUp(h.service);
    const wrong = await new Browser(h.service, '198.51.100.1').post('/api/auth/sign-in', {
      email,
      password: 'not the password',
    });
    const unknown = await new Browser(h.service, '198.51.100.1').post('/api/auth/sign-in', {
      email: uniqueEmail(),
      password: 'not the password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body['detail']).toBe(unknown.body['detail']);
  });

  it('expires a session after the idle period, and slides it while in use up to the absolute limit', async () => {
    const { email } = await signUp(h.service);
    const idle = await signIn(h.service, email);
    const active = await signIn(h.service, email);
    for (let day = 4; day <= 28; day += 4) {
      h.clock.advance(4 * DAY);
      expect((await active.get('/api/auth/me')).status, `day ${day}`).toBe(200);
    }
    expect((await idle.get('/api/auth/me')).status).toBe(401);
    h.clock.advance(3 * DAY); // day 31: past the 30-day absolute expiry despite constant use
    expect((await active.get('/api/auth/me')).status).toBe(401);
  });

  it('revokes every session at once on password change and issues a fresh one to the changer', async () => {
    const { email, browser: a } = await signUp(h.service);
    const b = await signIn(h.service, email);
    const tokenRes = await b.post('/api/auth/token');
    const bearer = new Browser(h.service);
    bearer.bearer = tokenRes.body['accessToken'] as string;
    expect((await bearer.get('/api/auth/me')).status).toBe(200);

    const change = await a.post('/api/auth/password', {
      currentPassword: GOOD_PASSWORD,
      newPassword: 'a new and long passphrase',
    });
    expect(change.status).toBe(204);
    expect((await b.get('/api/auth/me')).status).toBe(401);
    expect((await bearer.get('/api/auth/me')).status).toBe(401);
    expect((await a.get('/api/auth/me')).status).toBe(200);
    await signIn(h.service, email, undefined, 'a new and long passphrase');
    await expect(signIn(h.service, email)).rejects.toThrow(/401/);
  });

  it('refuses a password change with a wrong current password', async () => {
    const { browser } = await signUp(h.service);
    const res = await browser.post('/api/auth/password', {
      currentPassword: 'wrong password!',
      newPassword: 'another long passphrase',
    });
    expect(res.status).toBe(403);
    expect((await browser.get('/api/auth/me')).status).toBe(200);
  });

  it('ends every session of an account the moment an admin disables it, bearer tokens included', async () => {
    const admin = await signUp(h.service);
    const victim = await signUp(h.service);
    // Make the victim a member of the admin's organization only: disable needs that for an org admin.
    await admin.browser.post(`/api/orgs/${admin.orgId}/members`, { email: victim.email, role: 'member' });
    const token = (await victim.browser.post('/api/auth/token')).body['accessToken'] as string;
    const bearer = new Browser(h.service);
    bearer.bearer = token;
    // The victim also admins their own organization, so an org admin may not disable them...
    const refused = await admin.browser.post(`/api/orgs/${admin.orgId}/members/${victim.userId}/disable`);
    expect(refused.status).toBe(403);
    expect(refused.body['reason']).toBe('outside_org');
    // ...but the platform superadmin may.
    const root = await h.service.accounts.findUserByEmail(h.database.db, (await firstUserEmail(h)) ?? '');
    expect(root?.isSuperadmin).toBe(true);
    await h.service.accounts.setDisabled(victim.userId as never, true, { id: root?.id ?? 'system' });
    expect((await victim.browser.get('/api/auth/me')).status).toBe(401);
    expect((await bearer.get('/api/auth/me')).status).toBe(401);
    const again = await new Browser(h.service).post('/api/auth/sign-in', {
      email: victim.email,
      password: GOOD_PASSWORD,
    });
    expect(again.status).toBe(403);
  });

  it('lets an org admin disable an account that belongs to their organization only', async () => {
    const admin = await signUp(h.service);
    const member = await signUp(h.service);
    await admin.browser.post(`/api/orgs/${admin.orgId}/members`, { email: member.email, role: 'member' });
    // The member hands their own organization to the admin and leaves it.
    expect(
      (await member.browser.post(`/api/orgs/${member.orgId}/members`, { email: admin.email, role: 'admin' }))
        .status,
    ).toBe(201);
    expect(
      (await admin.browser.request('DELETE', `/api/orgs/${member.orgId}/members/${member.userId}`)).status,
    ).toBe(204);
    const res = await admin.browser.post(`/api/orgs/${admin.orgId}/members/${member.userId}/disable`);
    expect(res.status).toBe(200);
    expect(res.body['disabled']).toBe(true);
    expect((await member.browser.get('/api/auth/me')).status).toBe(401);
    expect(
      (await admin.browser.post(`/api/orgs/${admin.orgId}/members/${member.userId}/enable`)).status,
    ).toBe(200);
    await signIn(h.service, member.email);
  });

  it('verifies the e-mail with a single-use token that expires', async () => {
    const { email, browser } = await signUp(h.service);
    const token = await tokenFromOutbox(h.service, email, 'emailVerification');
    expect(
      ((await browser.get('/api/auth/me')).body['user'] as { emailVerified: boolean }).emailVerified,
    ).toBe(false);
    expect((await browser.post('/api/auth/verify-email', { token })).status).toBe(204);
    expect(
      ((await browser.get('/api/auth/me')).body['user'] as { emailVerified: boolean }).emailVerified,
    ).toBe(true);
    expect((await browser.post('/api/auth/verify-email', { token })).status).toBe(412);

    const other = await signUp(h.service);
    const late = await tokenFromOutbox(h.service, other.email, 'emailVerification');
    h.clock.advance(49 * 3_600_000);
    expect((await other.browser.post('/api/auth/verify-email', { token: late })).status).toBe(412);
  });

  it('resets the password with a single-use, expiring token and revokes every session', async () => {
    const { email, browser } = await signUp(h.service);
    const anon = new Browser(h.service);
    expect((await anon.post('/api/auth/password-reset/request', { email })).status).toBe(202);
    // Unknown addresses get the same answer.
    expect((await anon.post('/api/auth/password-reset/request', { email: uniqueEmail() })).status).toBe(202);
    const token = await tokenFromOutbox(h.service, email, 'passwordReset');
    const res = await anon.post('/api/auth/password-reset/confirm', {
      token,
      password: 'brand new passphrase',
    });
    expect(res.status).toBe(204);
    expect((await browser.get('/api/auth/me')).status).toBe(401);
    await signIn(h.service, email, undefined, 'brand new passphrase');
    const reuse = await anon.post('/api/auth/password-reset/confirm', {
      token,
      password: 'yet another passphrase',
    });
    expect(reuse.status).toBe(412);

    await anon.post('/api/auth/password-reset/request', { email });
    const second = await tokenFromOutbox(h.service, email, 'passwordReset');
    expect(second).not.toBe(token);
    h.clock.advance(61 * 60_000);
    const expired = await anon.post('/api/auth/password-reset/confirm', {
      token: second,
      password: 'yet another passphrase',
    });
    expect(expired.status).toBe(412);
    await signIn(h.service, email, undefined, 'brand new passphrase');
  });

  it('refuses a cookie-authenticated state change from another origin', async () => {
    const { browser } = await signUp(h.service);
    const res = await browser.post('/api/orgs', { name: 'Evil' }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    const ok = await browser.post('/api/orgs', { name: 'Good' }, { origin: 'https://origo.test' });
    expect(ok.status).toBe(201);
  });
});

async function firstUserEmail(h: Harness): Promise<string | undefined> {
  const page = await h.service.accounts.searchUsers({ limit: 1 });
  return page.items[0]?.email;
}
