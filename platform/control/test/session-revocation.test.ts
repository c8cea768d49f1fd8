// Issue 11, finding 9: an access token of a session that auth has ended (sign-out) is refused by control
// within seconds, not accepted until the token expires. Real auth and control services in process,
// sharing one bus (the in-process one, or Redis when REDIS_URL is set).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, openAuthDatabase, type AuthDatabase, type AuthService } from '@origo/auth';
import { createLogger, generateEd25519Jwk } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import {
  createControlService,
  createPrincipalResolver,
  type ControlDatabase,
  type ControlService,
} from '../src/index.js';
import { backends, REDIS_URL } from './helpers.js';

const PASSWORD = 'correct horse battery staple';

afterAll(async () => {
  for (const backend of backends) await backend.cleanup();
});

describe.each(backends)('access tokens of ended sessions ($name)', (backend) => {
  let busKv: BusKv;
  let authDb: AuthDatabase;
  let auth: AuthService;
  let controlDb: ControlDatabase;
  let control: ControlService;
  let controlUrl: string;

  beforeAll(async () => {
    busKv = await createBusKv({
      redisUrl: REDIS_URL,
      namespace: `trevoke${randomBytes(4).toString('hex')}:`,
    });
    authDb = await openAuthDatabase({ dataDir: 'memory://' });
    auth = await createAuthService({
      database: authDb,
      kv: busKv.kv,
      bus: busKv.bus,
      keyEncryptionKey: 'test-key-encryption-key-0123456789abcdef',
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      settings: { publicUrl: 'http://origo.test', cookieSecure: false },
    });
    controlDb = await backend.open('revoke');
    control = await createControlService({
      database: controlDb,
      busKv,
      joinTokenKey: generateEd25519Jwk(),
      resolvePrincipal: createPrincipalResolver({ verifier: auth.verifier }),
      settings: { publicUrl: 'http://origo.test' },
      logger: createLogger({ service: 'control', level: 'silent' }),
    });
    controlUrl = (await control.listen({ httpPort: 0, grpcPort: 0 })).http;
  });

  afterAll(async () => {
    await control?.close();
    await auth?.close();
    await busKv?.close();
    await controlDb?.close();
    await authDb?.close();
  });

  /** Signs in a fresh browser session and returns its cookie and an access token minted for it. */
  async function session(email: string, signUpFirst: boolean) {
    const response = await auth.app.inject({
      method: 'POST',
      url: signUpFirst ? '/api/auth/sign-up' : '/api/auth/sign-in',
      payload: signUpFirst
        ? { email, password: PASSWORD, displayName: 'Revoked' }
        : { email, password: PASSWORD },
    });
    expect(response.statusCode).toBe(signUpFirst ? 201 : 200);
    const cookie = String(response.headers['set-cookie']).split(';')[0] as string;
    const minted = await auth.app.inject({ method: 'POST', url: '/api/auth/token', headers: { cookie } });
    expect(minted.statusCode).toBe(200);
    const body = response.json<{ organizationId?: string }>();
    return { cookie, token: minted.json<{ accessToken: string }>().accessToken, orgId: body.organizationId };
  }

  const listMeetings = async (token: string, orgId: string) => {
    const response = await fetch(`${controlUrl}/api/meetings?org_id=${orgId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('refuses the token of a signed-out session within seconds, and keeps other sessions working', async () => {
    const email = `revoke.${randomBytes(5).toString('hex')}@example.com`;
    const first = await session(email, true);
    const orgId = first.orgId as string;
    const second = await session(email, false);
    expect((await listMeetings(first.token, orgId)).status).toBe(200);
    expect((await listMeetings(second.token, orgId)).status).toBe(200);

    const signOut = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { cookie: first.cookie },
    });
    expect(signOut.statusCode).toBe(204);

    // Delivery over the bus is asynchronous: poll, with a deadline far above the expected milliseconds.
    const deadline = Date.now() + 20_000;
    let last = await listMeetings(first.token, orgId);
    while (last.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = await listMeetings(first.token, orgId);
    }
    expect(last.status).toBe(401);
    expect(last.body['reason']).toBe('session_ended');
    expect((await listMeetings(second.token, orgId)).status).toBe(200);
  });
});
