// Test helpers for services that accept control's join tokens (`@origo/control/testing`).
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { JOIN_TOKEN_AUDIENCE, JOIN_TOKEN_ISSUER } from './contracts.js';

/** Signs join tokens the way control does (EdDSA, the contract's claims), with a fresh key. */
export async function joinTokenIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'join-test', alg: 'EdDSA' };
  return {
    keys: createLocalJWKSet({ keys: [jwk] }),
    sign(claims: { identity: string; room: string; name?: string; host?: boolean; expiresIn?: number }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iat_ms: Date.now(),
        name: claims.name ?? claims.identity,
        room: claims.room,
        grants: { publish: true, subscribe: true, host: claims.host ?? false },
        max_participants: 100,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'join-test', typ: 'JWT' })
        .setIssuer(JOIN_TOKEN_ISSUER)
        .setAudience(JOIN_TOKEN_AUDIENCE)
        .setSubject(claims.identity)
        .setIssuedAt(now)
        .setNotBefore(now - 60)
        .setExpirationTime(now + (claims.expiresIn ?? 600))
        .setJti(randomUUID())
        .sign(privateKey as CryptoKey);
    },
  };
}
