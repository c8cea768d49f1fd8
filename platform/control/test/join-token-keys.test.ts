import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519Jwk } from '@origo/kit';
import { JOIN_TOKEN_AUDIENCE, JOIN_TOKEN_ISSUER, JOIN_TOKEN_JWKS_PATH } from '../src/contracts.js';
import { createJoinTokenSigner } from '../src/join-token.js';
import { backends, meetingBody, startHarness, type Harness } from './helpers.js';

const input = {
  identity: 'usr_1',
  name: 'Ada',
  room: 'mtg_1',
  grants: { publish: true, subscribe: true, host: false },
  maxParticipants: 10,
};
const verifyOptions = { audience: JOIN_TOKEN_AUDIENCE, issuer: JOIN_TOKEN_ISSUER, algorithms: ['EdDSA'] };

describe('join-token keys', () => {
  it('publishes public halves only, the current key first and the previous one after a rotation', async () => {
    const before = await createJoinTokenSigner(generateEd25519Jwk(), 300);
    const oldKey = JSON.parse(generateEd25519Jwk()) as { kid: string };
    const rotated = await createJoinTokenSigner(generateEd25519Jwk(), 300, JSON.stringify(oldKey));
    expect(before.jwks().keys).toHaveLength(1);
    const keys = rotated.jwks().keys;
    expect(keys.map((k) => k.kid)).toEqual([rotated.kid, oldKey.kid]);
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
  });

  it('keeps tokens signed with the previous key valid after a rotation, and refuses other keys', async () => {
    const oldText = generateEd25519Jwk();
    const oldSigner = await createJoinTokenSigner(oldText, 300);
    const issuedBefore = (await oldSigner.sign(input)).token;
    const rotated = await createJoinTokenSigner(generateEd25519Jwk(), 300, oldText);
    const published = createLocalJWKSet(rotated.jwks());
    await expect(jwtVerify(issuedBefore, published, verifyOptions)).resolves.toBeDefined();
    await expect(
      jwtVerify((await rotated.sign(input)).token, published, verifyOptions),
    ).resolves.toBeDefined();
    await expect(rotated.verifyForRefresh(issuedBefore)).resolves.toMatchObject({ identity: 'usr_1' });

    const stranger = await createJoinTokenSigner(generateEd25519Jwk(), 300);
    const foreign = (await stranger.sign(input)).token;
    await expect(jwtVerify(foreign, published, verifyOptions)).rejects.toThrow();
    await expect(rotated.verifyForRefresh(foreign)).rejects.toThrow('join token invalid');
  });

  it('refuses a key that is not Ed25519, or a previous key with the current kid', async () => {
    await expect(createJoinTokenSigner('{"kty":"oct","k":"c2VjcmV0"}', 300)).rejects.toThrow(
      'must be an Ed25519 JWK',
    );
    const publicOnly = JSON.stringify({ ...(JSON.parse(generateEd25519Jwk()) as object), d: undefined });
    await expect(createJoinTokenSigner(publicOnly, 300)).rejects.toThrow('must be a private JWK');
    const key = generateEd25519Jwk();
    await expect(createJoinTokenSigner(key, 300, key)).rejects.toThrow("has the current key's kid");
  });
});

describe.each(backends)('the join-token JWKS route ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, 'jwks');
  });
  afterAll(async () => h?.close());

  it('serves the verification keys without credentials, and they verify the tokens control issues', async () => {
    const response = await fetch(`${h.url}${JOIN_TOKEN_JWKS_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([h.joinKey.kid]);
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const created = await h.call(h.users.host, 'POST', '/api/meetings', meetingBody());
    expect(created.status).toBe(201);
    const joined = await h.call(h.users.host, 'POST', `/api/meetings/${created.body.id}/join`, {});
    expect(joined.status).toBe(200);
    const remote = createRemoteJWKSet(new URL(`${h.url}${JOIN_TOKEN_JWKS_PATH}`));
    const { payload } = await jwtVerify(joined.body.token as string, remote, verifyOptions);
    expect(payload.room).toBe(created.body.id);
  });
});
