// Join token verification: signature, algorithm allow-list, audience, exp/nbf, claims; and the
// native uWS binding (never the ws fallback).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT, importJWK, type JWK } from 'jose';
import { generateEd25519Jwk } from '@origo/kit';
import {
  createJoinTokenVerifier,
  JoinTokenError,
  loadUws,
  localKeySource,
  signJoinToken,
  uwsBinaryName,
} from '../src/index.js';

const jwk = generateEd25519Jwk();
const verifier = createJoinTokenVerifier({ keys: localKeySource(jwk) });

async function reason(token: string, allowExpired = false): Promise<string> {
  const err = await verifier.verify(token, { allowExpired }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof JoinTokenError)) throw new Error(`expected a JoinTokenError, got ${String(err)}`);
  return err.reason;
}

describe('join tokens', () => {
  it('verifies a good token and returns its claims', async () => {
    const token = await signJoinToken({
      privateJwk: jwk,
      identity: 'alice',
      name: 'Alice',
      room: 'm-1',
      grants: { publish: true, subscribe: true, host: true },
    });
    const claims = await verifier.verify(token);
    expect(claims).toMatchObject({
      identity: 'alice',
      name: 'Alice',
      room: 'm-1',
      grants: { publish: true, subscribe: true, host: true },
    });
    expect(claims.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('accepts ES256 keys as well', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = { ...(privateKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', kid: 'ec1' };
    const token = await signJoinToken({ privateJwk: ec, identity: 'bob', room: 'm-1' });
    const claims = await createJoinTokenVerifier({ keys: localKeySource(ec) }).verify(token);
    expect(claims.identity).toBe('bob');
  });

  it('refuses expired, not-yet-valid, wrong-audience, foreign-key and HS256 tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(
      await reason(
        await signJoinToken({
          privateJwk: jwk,
          identity: 'a',
          room: 'r',
          issuedAt: now - 600,
          ttlSeconds: 60,
        }),
      ),
    ).toBe('expired');
    expect(
      await reason(await signJoinToken({ privateJwk: jwk, identity: 'a', room: 'r', notBefore: now + 600 })),
    ).toBe('not_yet_valid');
    expect(
      await reason(
        await signJoinToken({ privateJwk: jwk, identity: 'a', room: 'r', audience: 'someone-else' }),
      ),
    ).toBe('bad_audience');
    expect(
      await reason(await signJoinToken({ privateJwk: generateEd25519Jwk(), identity: 'a', room: 'r' })),
    ).toBe('bad_signature');
    const hmac = await new SignJWT({ room: 'r', grants: {} })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setAudience('origo-signaling')
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode('a-shared-secret-of-enough-length!!'));
    expect(await reason(hmac)).toBe('bad_algorithm');
  });

  it('refuses tokens without nbf or with malformed claims', async () => {
    const key = await importJWK(JSON.parse(jwk) as JWK, 'EdDSA');
    const kid = (JSON.parse(jwk) as JWK).kid!;
    const now = Math.floor(Date.now() / 1000);
    const noNbf = await new SignJWT({ room: 'r', grants: {} })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject('a')
      .setAudience('origo-signaling')
      .setExpirationTime(now + 60)
      .sign(key);
    expect(await reason(noNbf)).toBe('bad_claims');
    const badRoom = await new SignJWT({ room: 'no spaces/allowed', grants: {} })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject('a')
      .setAudience('origo-signaling')
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(key);
    expect(await reason(badRoom)).toBe('bad_claims');
    const extraGrant = await new SignJWT({ room: 'r', grants: { superuser: true } })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject('a')
      .setAudience('origo-signaling')
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(key);
    expect(await reason(extraGrant)).toBe('bad_claims');
  });

  it('accepts an expired token only for a resume', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signJoinToken({
      privateJwk: jwk,
      identity: 'a',
      room: 'r',
      issuedAt: now - 600,
      ttlSeconds: 60,
    });
    expect(await reason(token)).toBe('expired');
    expect((await verifier.verify(token, { allowExpired: true })).identity).toBe('a');
    // A forged expired token stays refused.
    const forged = await signJoinToken({
      privateJwk: generateEd25519Jwk(),
      identity: 'a',
      room: 'r',
      issuedAt: now - 600,
      ttlSeconds: 60,
    });
    expect(await reason(forged, true)).toBe('bad_signature');
  });
});

describe('uWebSockets.js', () => {
  it('loads the native binding for this platform, not the ws fallback', () => {
    const uws = loadUws();
    expect(uwsBinaryName()).toBe(`uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
    expect(Function.prototype.toString.call(uws.App)).toContain('[native code]');
  });
});
