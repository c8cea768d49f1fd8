import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT, importJWK, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../src/index.js';
import { backends, Browser, signUp, startAuth, type Harness } from './helpers.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(backends)('access tokens, JWKS and key rotation ($name)', (backend) => {
  let h: Harness;
  let url: string;
  let browser: Browser;
  let token: string;
  let verifier: AccessTokenVerifier;

  beforeAll(async () => {
    h = await startAuth(backend, { issuer: 'https://origo.test', audience: 'origo' });
    ({ url } = await h.service.listen(0));
    ({ browser } = await signUp(h.service));
    const res = await browser.post('/api/auth/token');
    expect(res.status).toBe(200);
    token = res.body['accessToken'] as string;
    verifier = createAccessTokenVerifier({
      jwksUrl: `${url}/.well-known/jwks.json`,
      issuer: 'https://origo.test',
      audience: 'origo',
    });
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  /** Signs arbitrary claims with the service's real active key (to test claim checks, not signatures). */
  async function forge(
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const signer = await h.service.keys.activeSigner();
    const now = Math.floor(Date.now() / 1000);
    const base = {
      iss: 'https://origo.test',
      aud: 'origo',
      sub: 'usr_x',
      sid: 's',
      jti: 'j',
      iat: now,
      nbf: now,
      exp: now + 600,
      orgs: {},
    };
    return new SignJWT({ ...base, ...claims })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt', ...header })
      .sign(signer.key);
  }

  it('exchanges the session cookie for an EdDSA token with kid, 10-minute lifetime and the documented claims', async () => {
    const claims = await verifier.verify(token);
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
    expect(claims.exp - claims.iat).toBe(600);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims).toMatchObject({
      iss: 'https://origo.test',
      aud: 'origo',
      sid: expect.any(String),
      jti: expect.any(String),
    });
    expect(Object.values(claims.orgs)).toEqual(['admin']);
    const principal = await verifier.verifyPrincipal(token);
    expect(principal.memberships[0]?.role).toBe('admin');
  });

  it('refuses to mint a token without a session, or from a bearer token', async () => {
    expect((await new Browser(h.service).post('/api/auth/token')).status).toBe(401);
    const bearer = new Browser(h.service);
    bearer.bearer = token;
    expect((await bearer.post('/api/auth/token')).status).toBe(403);
  });

  it('serves only public key material in the JWKS', async () => {
    const res = await fetch(`${url}/.well-known/jwks.json`);
    const jwks = (await res.json()) as { keys: JWK[] };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) {
      expect(key.d).toBeUndefined();
      expect(key).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        alg: 'EdDSA',
        use: 'sig',
        kid: expect.any(String),
      });
    }
  });

  const reject = async (candidate: string, reason?: RegExp) => {
    const error = await verifier.verify(candidate).then(
      () => null,
      (err: unknown) => err as { code: string; reason?: string },
    );
    expect(error, 'token was accepted').not.toBeNull();
    expect(error?.code).toBe('UNAUTHENTICATED');
    if (reason) expect(error?.reason).toMatch(reason);
  };

  it('rejects alg none', async () => {
    const [header, payload] = token.split('.') as [string, string];
    const h0 = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    await reject(`${b64({ ...h0, alg: 'none' })}.${payload}.`);
  });

  it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    const pub = jwks.keys[0] as JWK;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    for (const secret of [
      new TextEncoder().encode(JSON.stringify(pub)),
      Buffer.from(pub.x as string, 'base64url'),
    ]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: pub.kid as string, typ: 'at+jwt' })
        .sign(secret);
      await reject(forged);
    }
  });

  it('rejects expired tokens, nbf in the future, wrong audience, wrong issuer', async () => {
    const now = Math.floor(Date.now() / 1000);
    await reject(await forge({ iat: now - 1200, nbf: now - 1200, exp: now - 600 }), /expired/);
    await reject(await forge({ nbf: now + 600, exp: now + 1200 }), /claim_validation/);
    await reject(await forge({ aud: 'signaling' }), /claim_validation/);
    await reject(await forge({ iss: 'https://evil.example' }), /claim_validation/);
    await reject(await forge({ sid: undefined }), /claim/);
  });

  it('rejects a JWT of another type signed by the same key', async () => {
    await reject(await forge({}, { typ: 'JWT' }));
  });

  it('rejects a tampered payload', async () => {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${b64({ ...claims, sub: 'usr_attacker', orgs: { org_other: 'admin' } })}.${signature}`;
    expect(tampered).not.toBe(token);
    await reject(tampered, /signature/);
  });

  it('rejects an unknown kid after refetching the JWKS once, rate-limited', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = (await importJWK(privateKey.export({ format: 'jwk' }) as JWK, 'EdDSA')) as CryptoKey;
    const local = createAccessTokenVerifier({
      jwksUrl: `${url}/.well-known/jwks.json`,
      issuer: 'https://origo.test',
      audience: 'origo',
    });
    await local.verify(token);
    expect(local.fetchCount).toBe(1);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const unknown = async () =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: randomBytes(8).toString('hex'), typ: 'at+jwt' })
        .sign(key);
    await expect(local.verify(await unknown())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // The first unknown kid was fetched moments ago (the cooldown): no second fetch for another one.
    await expect(local.verify(await unknown())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(local.fetchCount).toBe(1);
    const eager = createAccessTokenVerifier({
      jwksUrl: `${url}/.well-known/jwks.json`,
      issuer: 'https://origo.test',
      audience: 'origo',
      refetchCooldownMs: 0,
    });
    await eager.verify(token);
    await expect(eager.verify(await unknown())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(eager.fetchCount).toBe(2);
  });

  it('rejects a token signed by a different key that claims the real kid', async () => {
    const signer = await h.service.keys.activeSigner();
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = (await importJWK(privateKey.export({ format: 'jwk' }) as JWK, 'EdDSA')) as CryptoKey;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'at+jwt' })
      .sign(key);
    await reject(forged, /signature/);
  });

  it('rotates keys: old and new tokens both verify during the overlap, the old key leaves the JWKS after it', async () => {
    const admin = new Browser(h.service);
    admin.cookie = browser.cookie; // the first user of this installation is the superadmin
    const oldToken = (await browser.post('/api/auth/token')).body['accessToken'] as string;
    const before = await h.service.getVerificationKeys();
    const rotated = await admin.post('/api/admin/signing-keys/rotate');
    expect(rotated.status).toBe(200);
    const newToken = (await browser.post('/api/auth/token')).body['accessToken'] as string;
    const kidOf = (t: string) =>
      (JSON.parse(Buffer.from(t.split('.')[0] as string, 'base64url').toString()) as { kid: string }).kid;
    expect(kidOf(newToken)).toBe(rotated.body['kid']);
    expect(kidOf(oldToken)).toBe(rotated.body['previousKid']);
    const during = await h.service.getVerificationKeys();
    expect(during.keys.map((k) => k.kid)).toEqual([rotated.body['kid'], ...before.keys.map((k) => k.kid)]);

    const fresh = createAccessTokenVerifier({
      keySource: () => h.service.getVerificationKeys(),
      issuer: 'https://origo.test',
      audience: 'origo',
      now: h.clock.now,
    });
    await fresh.verify(oldToken);
    await fresh.verify(newToken);
    // The in-service verifier too (bearer on /me), for both.
    for (const t of [oldToken, newToken]) {
      const b = new Browser(h.service);
      b.bearer = t;
      expect((await b.get('/api/auth/me')).status).toBe(200);
    }

    h.clock.advance(h.service.settings.keyOverlapSeconds * 1000 + 1000);
    expect(await h.service.keys.retireExpired()).toBe(1);
    const after = await h.service.getVerificationKeys();
    expect(after.keys.map((k) => k.kid)).toEqual([rotated.body['kid']]);
    const states = (await admin.get('/api/admin/signing-keys')).body['items'] as Array<{
      kid: string;
      state: string;
    }>;
    expect(states.find((k) => k.kid === rotated.body['previousKid'])?.state).toBe('retired');
    const later = createAccessTokenVerifier({
      keySource: () => h.service.getVerificationKeys(),
      issuer: 'https://origo.test',
      audience: 'origo',
    });
    await expect(later.verify(oldToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('answers UNAVAILABLE, not 401, when the keys cannot be fetched, and keeps using aged keys meanwhile', async () => {
    const minted = await browser.post('/api/auth/token');
    const token = minted.body['accessToken'] as string;
    let reachable = true;
    const source = async () => {
      if (!reachable) throw new Error('JWKS fetch failed with HTTP 503');
      return h.service.getVerificationKeys();
    };
    // The service's clock was moved forward by the tests before; check against the same clock.
    const options = { keySource: source, issuer: 'https://origo.test', audience: 'origo', now: h.clock.now };
    const cold = createAccessTokenVerifier(options);
    const warm = createAccessTokenVerifier({ ...options, maxCacheAgeMs: 1 });
    await warm.verify(token);
    reachable = false;
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Auth (or its database) is down: a verifier that never had the keys cannot tell, so the caller is
    // told to try again rather than that its token is bad; one that had them keeps verifying.
    await expect(cold.verify(token)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'auth_keys_unavailable',
    });
    expect((await warm.verify(token)).sub).toBeDefined();
    const fetches = warm.fetchCount;
    await warm.verify(token);
    expect(warm.fetchCount, 'no refetch on every request while the refresh fails').toBe(fetches);
    reachable = true;
    expect((await cold.verify(token)).sub).toBeDefined();
  });

  it('stores private keys encrypted, never as plain JWK', async () => {
    const rows = await h.database.db.query.signingKeys.findMany();
    for (const row of rows) {
      expect(row.privateJwkEncrypted.startsWith('v1.')).toBe(true);
      expect(row.privateJwkEncrypted).not.toContain('"d"');
    }
  });
});
