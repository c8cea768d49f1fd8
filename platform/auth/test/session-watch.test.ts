// What a page learns about its own sign-in: who is signed in (without a failed request for a visitor), and
// the held request that answers as soon as an administrator ends the account's sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { Browser, backends, signIn, signUp, startAuth, type Harness, type Reply } from './helpers.js';

describe.each(backends)('a page and its session ($name)', (backend) => {
  let h: Harness;
  let root: Awaited<ReturnType<typeof signUp>>;
  let member: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    h = await startAuth(backend);
    root = await signUp(h.service, { name: 'Root' }); // the first account: superadmin
    member = await signUp(h.service, { name: 'Member' });
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  /** Starts a held wait and returns once auth holds it (it answers only when the session ends). */
  async function held(browser: Browser): Promise<{ reply: Promise<Reply> }> {
    const before = h.service.stats().sessionWaits;
    const reply = browser.get('/api/auth/session/wait');
    await waitFor(() => h.service.stats().sessionWaits > before, {
      timeoutMs: 10_000,
      what: 'the wait held by auth',
    });
    return { reply };
  }

  it('tells a visitor that nobody is signed in with a 200, and a signed-in page who it is', async () => {
    const visitor = await new Browser(h.service).get('/api/auth/session');
    expect(visitor.status).toBe(200);
    expect(visitor.body).toEqual({ me: null });
    expect(visitor.headers['cache-control']).toBe('no-store');

    const signedIn = await member.browser.get('/api/auth/session');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body['me']).toEqual((await member.browser.get('/api/auth/me')).body);
    expect((signedIn.body['me'] as { user: { email: string } }).user.email).toBe(member.email);
  });

  it('answers a held wait at once when an administrator signs the account out, saying so', async () => {
    const other = await signIn(h.service, member.email);
    const first = await held(member.browser);
    const second = await held(other);
    const res = await root.browser.post(`/api/admin/users/${member.userId}/sign-out`);
    expect(res.status).toBe(200);
    for (const reply of [await first.reply, await second.reply]) {
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ ended: true, reason: 'forced_sign_out' });
    }
    expect(h.service.stats().sessionWaits).toBe(0);
    // A wait that reaches auth just after the sign-out (the page was between two waits) still learns why.
    const late = await member.browser.get('/api/auth/session/wait');
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ ended: true, reason: 'forced_sign_out' });
    member.browser = await signIn(h.service, member.email);
  });

  it('answers when the page signs out in another tab, without a reason, and leaves other sessions held', async () => {
    const tab = await signIn(h.service, member.email);
    const elsewhere = await held(member.browser);
    const here = await held(tab);
    expect((await tab.post('/api/auth/sign-out')).status).toBe(204);
    expect((await here.reply).body).toEqual({ ended: true, reason: null });
    expect(h.service.stats().sessionWaits).toBe(1);
    // Shutting down answers what it holds instead of keeping the listener open for the hold.
    await h.close();
    expect((await elsewhere.reply).body).toEqual({ ended: false, reason: null });
    h = await startAuth(backend);
    root = await signUp(h.service, { name: 'Root' });
    member = await signUp(h.service, { name: 'Member' });
  });

  it('answers not ended after wait_seconds, and refuses a bad wait with a problem document', async () => {
    const reply = await member.browser.get('/api/auth/session/wait?wait_seconds=1');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ended: false, reason: null });
    const bad = await member.browser.get('/api/auth/session/wait?wait_seconds=99');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(h.service.stats().sessionWaits).toBe(0);
    // No session at all: nothing to wait for.
    const visitor = await new Browser(h.service).get('/api/auth/session/wait');
    expect(visitor.status).toBe(200);
    expect(visitor.body).toEqual({ ended: true, reason: null });
  });
});
