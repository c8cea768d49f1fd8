// The access check every role that runs apart from auth builds with createRemoteAccess (billing,
// notification, chat, recording): access JWTs verified against auth's JWKS over HTTP, session cookies
// looked up at auth over HTTP, and the tokens of signed-out sessions refused once auth announces the end
// on the bus. A real auth service listening on a port; the bus is the in-process one, or Redis when
// REDIS_URL is set.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, openAuthDatabase, type AuthDatabase, type AuthService } from '@origo/auth';
import { AppError } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { createRemoteAccess, type RemoteAccess } from '../src/access.js';
import { REDIS_URL } from './helpers.js';

const PASSWORD = 'correct horse battery staple';
const PUBLIC_URL = 'http://origo.test';

/** What the resolver reads of a request: its method and headers. */
const request = (headers: Record<string, string>, method = 'GET') =>
  ({ method, headers }) as unknown as FastifyRequest;

describe('createRemoteAccess', () => {
  let busKv: BusKv;
  let authDb: AuthDatabase;
  let auth: AuthService;
  let access: RemoteAccess;

  beforeAll(async () => {
    busKv = await createBusKv({
      redisUrl: REDIS_URL,
      namespace: `remote${randomBytes(4).toString('hex')}:`,
    });
    authDb = await openAuthDatabase({ dataDir: 'memory://' });
    auth = await createAuthService({
      database: authDb,
      kv: busKv.kv,
      bus: busKv.bus,
      keyEncryptionKey: 'test-key-encryption-key-0123456789abcdef',
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      settings: { publicUrl: PUBLIC_URL, cookieSecure: false },
    });
    const { url } = await auth.listen(0, '127.0.0.1');
    access = await createRemoteAccess({
      authUrl: async () => url,
      // auth's defaults (AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE)
      issuer: 'origo',
      audience: 'origo',
      publicUrl: PUBLIC_URL,
      bus: busKv.bus,
    });
  });

  afterAll(async () => {
    await access?.close();
    await auth?.close();
    await busKv?.close();
    await authDb?.close();
  });

  async function signUp() {
    const email = `remote.${randomBytes(5).toString('hex')}@example.com`;
    const response = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up',
      payload: { email, password: PASSWORD, displayName: 'Remote' },
    });
    expect(response.statusCode).toBe(201);
    const cookie = String(response.headers['set-cookie']).split(';')[0] as string;
    const minted = await auth.app.inject({ method: 'POST', url: '/api/auth/token', headers: { cookie } });
    expect(minted.statusCode).toBe(200);
    return { cookie, token: minted.json<{ accessToken: string }>().accessToken };
  }

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as AppError,
    );

  it('knows the caller by access token and by session cookie, and nobody without either', async () => {
    const { cookie, token } = await signUp();
    const byToken = await access.resolvePrincipal(request({ authorization: `Bearer ${token}` }));
    const byCookie = await access.resolvePrincipal(request({ cookie }));
    expect(byToken?.userId).toMatch(/^usr_/);
    expect(byCookie?.userId).toBe(byToken?.userId);
    await expect(access.resolvePrincipal(request({}))).resolves.toBeNull();
  });

  it('refuses a forged token and a cross-site change made with the cookie', async () => {
    const { cookie, token } = await signUp();
    const [head, body] = token.split('.');
    const forged = await refusal(
      access.resolvePrincipal(request({ authorization: `Bearer ${head}.${body}.${'A'.repeat(86)}` })),
    );
    expect(forged).toBeInstanceOf(AppError);
    expect(forged?.code).toBe('UNAUTHENTICATED');
    const crossSite = await refusal(
      access.resolvePrincipal(request({ cookie, origin: 'https://evil.example' }, 'POST')),
    );
    expect(crossSite).toBeInstanceOf(AppError);
  });

  it('refuses the token of a signed-out session within seconds', async () => {
    const { cookie, token } = await signUp();
    const signOut = await auth.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: { cookie } });
    expect(signOut.statusCode).toBe(204);
    // Delivery over the bus is asynchronous: poll, with a deadline far above the expected milliseconds.
    const deadline = Date.now() + 20_000;
    let error = await refusal(access.resolvePrincipal(request({ authorization: `Bearer ${token}` })));
    while (error === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      error = await refusal(access.resolvePrincipal(request({ authorization: `Bearer ${token}` })));
    }
    expect(error?.code).toBe('UNAUTHENTICATED');
    expect(error?.reason).toBe('session_ended');
    // The cookie is gone at auth too.
    await expect(access.resolvePrincipal(request({ cookie }))).resolves.toBeNull();
  });
});
