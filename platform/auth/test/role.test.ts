import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AddressBook, SecretStore, commonConfigSchema, createLogger, loadConfig } from '@origo/kit';
import {
  authRole,
  createAccessTokenVerifier,
  createHttpAuthClient,
  createInProcessAuthClient,
} from '../src/index.js';
import { GOOD_PASSWORD, backends, signUp, startAuth, uniqueEmail } from './helpers.js';

describe('auth role', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('starts on port 0, publishes auth.http, serves JWKS and health, and stops cleanly', async () => {
    const data = await mkdtemp(join(tmpdir(), 'origo-auth-role-'));
    dirs.push(data);
    const env = { ORIGO_DATA: data, AUTH_COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' };
    const addresses = new AddressBook();
    const running = await authRole.start({
      common: loadConfig(commonConfigSchema, { ...env, DATABASE_URL: process.env.DATABASE_URL }),
      env,
      allInOne: true,
      addresses,
      secrets: new SecretStore(data, {}),
      logger: createLogger({ service: 'launcher', level: 'silent' }),
    });
    try {
      const url = addresses.get('auth.http') as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
      expect(jwks.keys.length).toBe(1);
      const signUpRes = await fetch(`${url}/api/auth/sign-up`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password: GOOD_PASSWORD, displayName: 'Role' }),
      });
      expect(signUpRes.status).toBe(201);
      const cookie = String(signUpRes.headers.get('set-cookie')).split(';')[0] as string;
      expect(signUpRes.headers.get('set-cookie')).not.toContain('Secure');
      const client = createHttpAuthClient({ baseUrl: url });
      const principal = await client.resolve({ cookie });
      expect(principal?.superadmin).toBe(true);
      expect(await client.resolve({ cookie: 'origo_session=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' })).toBeNull();
      const token = (
        (await (await fetch(`${url}/api/auth/token`, { method: 'POST', headers: { cookie } })).json()) as {
          accessToken: string;
        }
      ).accessToken;
      const verifier = createAccessTokenVerifier({
        jwksUrl: `${url}/.well-known/jwks.json`,
        issuer: 'origo',
        audience: 'origo',
      });
      expect((await verifier.verifyPrincipal(token)).userId).toBe(principal?.userId);
      expect((await client.resolve({ authorization: `Bearer ${token}` }))?.userId).toBe(principal?.userId);
    } finally {
      running.drain?.();
      await running.stop();
      await running.stop();
    }
  });

  it('offers an in-process client that maps invalid credentials to null', async () => {
    const backend = backends[0];
    if (backend === undefined) throw new Error('no backend');
    const h = await startAuth(backend);
    try {
      const { browser } = await signUp(h.service);
      const client = createInProcessAuthClient(h.service);
      expect((await client.resolve({ cookie: `origo_session=${browser.cookie}` }))?.via).toBe('session');
      expect(await client.resolve({ authorization: 'Bearer not.a.token' })).toBeNull();
      expect(await client.resolve({})).toBeNull();
    } finally {
      await h.close();
    }
  });
});
