// OIDC sign-in against a real OpenID provider (oidc-provider) started here on 127.0.0.1, port 0. The
// provider's login and consent are automated: its interaction endpoint signs in whichever account the
// test names, and the test follows redirects with a cookie jar as a browser would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/cookies.js';
import { backends, Browser, GOOD_PASSWORD, signUp, startAuth, uniqueEmail, type Harness } from './helpers.js';

interface Account {
  email: string;
  emailVerified: boolean;
  name: string;
}

const REDIRECT = 'http://origo.test/api/auth/oidc/callback';

async function startProvider(accounts: Map<string, Account>, next: { id: string }) {
  const ref: { provider?: Provider } = {};
  const server: Server = createServer((req, res) => {
    void (async () => {
      const p = ref.provider as Provider;
      if (req.url?.startsWith('/interaction/')) {
        const details = await p.interactionDetails(req, res);
        if (details.prompt.name === 'login') {
          await p.interactionFinished(
            req,
            res,
            { login: { accountId: next.id } },
            { mergeWithLastSubmission: false },
          );
        } else {
          const grant = new p.Grant({
            accountId: details.session?.accountId ?? next.id,
            clientId: String(details.params['client_id']),
          });
          grant.addOIDCScope('openid email profile');
          await p.interactionFinished(
            req,
            res,
            { consent: { grantId: await grant.save() } },
            { mergeWithLastSubmission: true },
          );
        }
        return;
      }
      p.callback()(req, res);
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ref.provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'origo',
        client_secret: 'origo-test-client-secret-0123456789',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx: unknown, id: string) {
      const account = accounts.get(id);
      if (account === undefined) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, email_verified: account.emailVerified, name: account.name };
        },
      };
    },
  });
  return { issuer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Follows the provider's redirects with a cookie jar until it sends the browser back to Origo. */
async function throughProvider(start: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(start);
  for (let hop = 0; hop < 20; hop += 1) {
    if (url.href.startsWith(REDIRECT)) return url;
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair !== undefined && eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = response.headers.get('location');
    if (location === null)
      throw new Error(`provider stopped at ${url.href} with ${response.status}: ${await response.text()}`);
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}

describe.each(backends)('OIDC sign-in ($name)', (backend) => {
  let h: Harness;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  const accounts = new Map<string, Account>();
  const next = { id: '' };

  beforeAll(async () => {
    provider = await startProvider(accounts, next);
    h = await startAuth(backend, {
      oidc: {
        issuer: provider.issuer,
        clientId: 'origo',
        clientSecret: 'origo-test-client-secret-0123456789',
        redirectUrl: REDIRECT,
        name: 'Test IdP',
        allowInsecureRequests: true,
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await provider.close();
    await backend.cleanup();
  });

  /** The whole browser flow: start at Origo, through the provider, back to Origo's callback. */
  async function oidcSignIn(
    accountId: string,
    returnTo = '/meetings',
  ): Promise<{ browser: Browser; status: number; location?: string; body: Record<string, unknown> }> {
    next.id = accountId;
    const browser = new Browser(h.service);
    const start = await h.service.app.inject({
      method: 'GET',
      url: `/api/auth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`,
    });
    expect(start.statusCode).toBe(302);
    const authorize = new URL(String(start.headers.location));
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    const flowCookie = String(start.headers['set-cookie']).split(';')[0] as string;
    const back = await throughProvider(authorize.href);
    const callback = await h.service.app.inject({
      method: 'GET',
      url: `${back.pathname}${back.search}`,
      headers: { cookie: flowCookie, 'x-forwarded-for': browser.ip },
    });
    const cookies = callback.headers['set-cookie'];
    const session = (Array.isArray(cookies) ? cookies : [String(cookies)]).find((c) =>
      c.startsWith(`${SESSION_COOKIE}=`),
    );
    if (session !== undefined) browser.cookie = /^origo_session=([^;]*)/.exec(session)?.[1];
    return {
      browser,
      status: callback.statusCode,
      location: callback.headers.location as string | undefined,
      body: callback.body === '' ? {} : (JSON.parse(callback.body) as Record<string, unknown>),
    };
  }

  it('creates an account for a new verified identity and signs it in', async () => {
    const email = uniqueEmail('oidc');
    accounts.set('alice-sub', { email, emailVerified: true, name: 'Alice Provider' });
    const result = await oidcSignIn('alice-sub');
    expect(result.status).toBe(302);
    expect(result.location).toBe('/meetings');
    const me = await result.browser.get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body['user']).toMatchObject({ email, displayName: 'Alice Provider', emailVerified: true });
    expect((me.body['memberships'] as unknown[]).length).toBe(1);

    // Signing in again finds the same account through (issuer, subject).
    const again = await oidcSignIn('alice-sub', '//evil.example/steal');
    expect(again.location).toBe('/');
    const me2 = await again.browser.get('/api/auth/me');
    expect((me2.body['user'] as { id: string }).id).toBe((me.body['user'] as { id: string }).id);
  });

  it('links a verified identity to the existing account with that e-mail', async () => {
    const existing = await signUp(h.service);
    accounts.set('bob-sub', { email: existing.email.toUpperCase(), emailVerified: true, name: 'Bob' });
    const result = await oidcSignIn('bob-sub');
    const me = await result.browser.get('/api/auth/me');
    expect((me.body['user'] as { id: string }).id).toBe(existing.userId);
    // Linking to an account whose address was never verified drops the old password and sessions.
    expect((await existing.browser.get('/api/auth/me')).status).toBe(401);
    const byPassword = await new Browser(h.service).post('/api/auth/sign-in', {
      email: existing.email,
      password: GOOD_PASSWORD,
    });
    expect(byPassword.status).toBe(401);
  });

  it('refuses an identity whose e-mail the provider has not verified', async () => {
    accounts.set('carol-sub', { email: uniqueEmail('carol'), emailVerified: false, name: 'Carol' });
    const result = await oidcSignIn('carol-sub');
    expect(result.status).toBe(412);
    expect(result.browser.cookie).toBeUndefined();
  });

  it('refuses a callback without the browser flow cookie or with a forged state', async () => {
    accounts.set('dave-sub', { email: uniqueEmail('dave'), emailVerified: true, name: 'Dave' });
    next.id = 'dave-sub';
    const start = await h.service.app.inject({ method: 'GET', url: '/api/auth/oidc/start' });
    const back = await throughProvider(String(start.headers.location));
    const noCookie = await h.service.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
    expect(noCookie.statusCode).toBe(401);
    const flowCookie = String(start.headers['set-cookie']).split(';')[0] as string;
    const forged = new URLSearchParams(back.search);
    forged.set('state', 'forged-state');
    const badState = await h.service.app.inject({
      method: 'GET',
      url: `${back.pathname}?${forged.toString()}`,
      headers: { cookie: flowCookie },
    });
    expect(badState.statusCode).toBe(401);
    // The flow was used up by the failed attempt: replaying the genuine callback fails too.
    const replay = await h.service.app.inject({
      method: 'GET',
      url: `${back.pathname}${back.search}`,
      headers: { cookie: flowCookie },
    });
    expect(replay.statusCode).toBe(401);
  });

  it('advertises the provider', async () => {
    const res = await new Browser(h.service).get('/api/auth/providers');
    expect(res.body['oidc']).toEqual({ name: 'Test IdP', startUrl: '/api/auth/oidc/start' });
  });
});
