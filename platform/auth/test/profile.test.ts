// PATCH /api/auth/me: the signed-in person changes their own display name (the sign-up rules), audited,
// refused as problem+json naming the field, guarded by the session and the same-origin check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, Browser, signIn, signUp, startAuth, type Harness, type Reply } from './helpers.js';

const patchMe = (browser: Browser, body: unknown, headers?: Record<string, string>) =>
  browser.request('PATCH', '/api/auth/me', body, headers);

function expectField(reply: Reply, field: string, message?: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(400);
  expect(String(reply.headers['content-type'])).toContain('application/problem+json');
  expect(reply.body['errors']).toEqual(
    expect.arrayContaining([
      expect.objectContaining(message === undefined ? { field } : { field, message }),
    ]) as unknown,
  );
}

describe.each(backends)('changing your own display name ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('saves the trimmed name, answers the updated me, and every session and new token carries it', async () => {
    const { browser, email, userId } = await signUp(h.service, { name: 'Old Name' });
    const other = await signIn(h.service, email);
    const res = await patchMe(browser, { displayName: '  Ann Example  ' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const user = res.body['user'] as Record<string, unknown>;
    expect(user).toMatchObject({ id: userId, email, displayName: 'Ann Example' });
    expect(res.body['memberships']).toHaveLength(1);
    // The change keeps this session and the others (a name is not a credential).
    expect(((await browser.get('/api/auth/me')).body['user'] as Record<string, unknown>)['displayName']).toBe(
      'Ann Example',
    );
    const principal = await other.get('/api/auth/principal');
    expect(principal.status).toBe(200);
    expect(principal.body['displayName']).toBe('Ann Example');
    // A token minted now (what a meeting join is checked with) names the person by the new name.
    const token = await other.post('/api/auth/token');
    const claims = await h.service.verifier.verify(token.body['accessToken'] as string);
    expect(claims.name).toBe('Ann Example');
    const resolved = await h.service.resolvePrincipal({
      authorization: `Bearer ${token.body['accessToken'] as string}`,
    });
    expect(resolved?.displayName).toBe('Ann Example');
  });

  it('writes one user.update audit row with the request id, and none when the name is unchanged', async () => {
    const { browser, userId } = await signUp(h.service, { name: 'Before' });
    const res = await patchMe(browser, { displayName: 'After' }, { 'x-request-id': 'req-rename-1' });
    expect(res.status).toBe(200);
    const page = await h.service.accounts.auditLog({ limit: 20 });
    const rows = page.items.filter((r) => r.requestId === 'req-rename-1');
    expect(rows.map((r) => r.action)).toEqual(['user.update']);
    expect(rows[0]).toMatchObject({ actor: userId, entity: 'user', entityId: userId });
    expect(JSON.stringify(rows[0]?.before)).toContain('Before');
    expect(JSON.stringify(rows[0]?.after)).toContain('After');
    expect(JSON.stringify(rows)).not.toMatch(/\$argon2id\$/);

    const same = await patchMe(browser, { displayName: ' After ' }, { 'x-request-id': 'req-rename-2' });
    expect(same.status).toBe(200);
    const again = await h.service.accounts.auditLog({ limit: 20 });
    expect(again.items.filter((r) => r.requestId === 'req-rename-2')).toEqual([]);
  });

  it('refuses bad input with a 400 naming displayName, as sign-up does, and changes nothing', async () => {
    const { browser } = await signUp(h.service, { name: 'Kept Name' });
    expectField(await patchMe(browser, { displayName: '' }), 'displayName', 'is required');
    expectField(await patchMe(browser, { displayName: '   ' }), 'displayName', 'is required');
    expectField(
      await patchMe(browser, { displayName: 'x'.repeat(101) }),
      'displayName',
      'must be at most 100 characters',
    );
    expectField(await patchMe(browser, { displayName: 42 }), 'displayName', 'must be a string');
    expectField(await patchMe(browser, {}), 'displayName');
    expectField(await patchMe(browser, { displayName: 'Nul\u0000Name' }), 'displayName');
    // Unknown fields are refused, not ignored: e-mail is not changed here.
    const extra = await patchMe(browser, { displayName: 'Fine', email: 'x@example.com' });
    expect(extra.status).toBe(400);
    expect((await patchMe(browser, 'not json', { 'content-type': 'application/json' })).status).toBe(400);
    // 100 characters is allowed, as at sign-up.
    expect((await patchMe(browser, { displayName: 'y'.repeat(100) })).status).toBe(200);
    await patchMe(browser, { displayName: 'Kept Name' });
    const me = await browser.get('/api/auth/me');
    expect((me.body['user'] as Record<string, unknown>)['displayName']).toBe('Kept Name');
  });

  it('refuses an unauthenticated call with 401 and a cross-origin cookie call with 403', async () => {
    const anonymous = new Browser(h.service);
    const res = await patchMe(anonymous, { displayName: 'Nobody' });
    expect(res.status).toBe(401);
    expect(String(res.headers['content-type'])).toContain('application/problem+json');

    const { browser } = await signUp(h.service, { name: 'Victim' });
    const forged = await patchMe(browser, { displayName: 'Hacked' }, { origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    const ok = await patchMe(browser, { displayName: 'Chosen' }, { origin: 'https://origo.test' });
    expect(ok.status).toBe(200);
    const me = await browser.get('/api/auth/me');
    expect((me.body['user'] as Record<string, unknown>)['displayName']).toBe('Chosen');

    // A signed-out session cannot rename either.
    expect((await browser.post('/api/auth/sign-out')).status).toBe(204);
    expect((await patchMe(browser, { displayName: 'Late' })).status).toBe(401);
  });
});
