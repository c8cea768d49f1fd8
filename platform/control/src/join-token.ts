import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK, type CryptoKey, type JWK } from 'jose';
import { JOIN_TOKEN_AUDIENCE, JOIN_TOKEN_ISSUER, type JoinGrants } from './contracts.js';

export interface JoinTokenInput {
  identity: string;
  name: string;
  room: string;
  grants: JoinGrants;
  maxParticipants: number;
}

export interface IssuedJoinToken {
  token: string;
  expiresAt: Date;
}

export interface JoinTokenSigner {
  readonly kid: string;
  sign(input: JoinTokenInput): Promise<IssuedJoinToken>;
}

/**
 * Signs join tokens with the platform's Ed25519 join-token key (a private JWK with `kid`, from
 * PLATFORM_SECRETS.joinTokenKey). Signaling holds the same JWK and verifies with its public half.
 */
export async function createJoinTokenSigner(
  privateJwkText: string,
  ttlSeconds: number,
): Promise<JoinTokenSigner> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(privateJwkText) as JWK;
  } catch {
    throw new TypeError('join token key is not a JSON Web Key');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new TypeError('join token key must be a private Ed25519 JWK (kty OKP, crv Ed25519)');
  }
  const kid = typeof jwk.kid === 'string' && jwk.kid.length > 0 ? jwk.kid : 'join-1';
  const key = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
  return {
    kid,
    async sign(input) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + ttlSeconds;
      const token = await new SignJWT({
        name: input.name,
        room: input.room,
        grants: input.grants,
        max_participants: input.maxParticipants,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setIssuer(JOIN_TOKEN_ISSUER)
        .setAudience(JOIN_TOKEN_AUDIENCE)
        .setSubject(input.identity)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
  };
}
