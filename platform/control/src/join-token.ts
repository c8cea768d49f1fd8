import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  SignJWT,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import { AppError } from '@origo/kit';
import {
  JOIN_TOKEN_ALGORITHMS,
  JOIN_TOKEN_AUDIENCE,
  JOIN_TOKEN_ISSUER,
  joinTokenClaimsSchema,
  type JoinGrants,
} from './contracts.js';

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
  /** The public keys verifiers accept: the current key, then the previous one during a rotation. */
  jwks(): JSONWebKeySet;
  sign(input: JoinTokenInput): Promise<IssuedJoinToken>;
  /**
   * Checks a token this signer issued (expired up to REFRESH_GRACE_SECONDS ago is fine) and returns its
   * input, so a new token with the same claims can be signed. Throws UNAUTHENTICATED otherwise.
   */
  verifyForRefresh(token: string): Promise<JoinTokenInput>;
}

/** How long after expiry a join token can still be renewed. */
export const REFRESH_GRACE_SECONDS = 3600;

/**
 * Signs join tokens with the platform's Ed25519 join-token key (a private JWK with `kid`, from
 * PLATFORM_SECRETS.joinTokenKey) and publishes the public halves for signaling (JOIN_TOKEN_JWKS_PATH).
 * `previousJwkText` is the key before the last rotation: no longer used to sign, still served and
 * accepted, so tokens issued just before a rotation stay valid for their lifetime.
 */
export async function createJoinTokenSigner(
  privateJwkText: string,
  ttlSeconds: number,
  previousJwkText?: string,
): Promise<JoinTokenSigner> {
  const current = parseJwk(privateJwkText, 'join token key', true);
  const previous =
    previousJwkText === undefined ? undefined : parseJwk(previousJwkText, 'previous join token key', false);
  const kid = current.kid as string;
  if (previous?.kid === kid) throw new TypeError("the previous join token key has the current key's kid");
  const key = (await importJWK(current, 'EdDSA')) as CryptoKey;
  const published: JSONWebKeySet = { keys: [current, ...(previous ? [previous] : [])].map(publicHalf) };
  const verificationKeys = createLocalJWKSet(published);
  return {
    kid,
    jwks: () => published,
    async verifyForRefresh(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, verificationKeys, {
          algorithms: [...JOIN_TOKEN_ALGORITHMS],
          audience: JOIN_TOKEN_AUDIENCE,
          issuer: JOIN_TOKEN_ISSUER,
        }));
      } catch (err) {
        // jose checks the signature before the claims: an expired token's payload is authentic.
        if (!(err instanceof errors.JWTExpired)) throw AppError.unauthenticated('join token invalid');
        payload = err.payload;
      }
      const claims = joinTokenClaimsSchema.safeParse(payload);
      if (!claims.success) throw AppError.unauthenticated('join token claims invalid');
      const c = claims.data;
      if (c.exp + REFRESH_GRACE_SECONDS < Math.floor(Date.now() / 1000))
        throw AppError.unauthenticated('join token expired too long ago; join again');
      return {
        identity: c.sub,
        name: c.name,
        room: c.room,
        grants: c.grants,
        maxParticipants: c.max_participants,
      };
    },
    async sign(input) {
      const nowMs = Date.now();
      const now = Math.floor(nowMs / 1000);
      const exp = now + ttlSeconds;
      const token = await new SignJWT({
        // Milliseconds: signaling refuses tokens issued before the meeting ended, to the millisecond.
        iat_ms: nowMs,
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

/**
 * Reads an Ed25519 JWK (private when it signs; the previous key may be either half). The `kid` defaults
 * to `join-1` for keys written before kids existed.
 */
function parseJwk(text: string, what: string, mustBePrivate: boolean): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new TypeError(`${what} is not a JSON Web Key`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError(`${what} must be an Ed25519 JWK (kty OKP, crv Ed25519)`);
  }
  if (mustBePrivate && typeof jwk.d !== 'string') throw new TypeError(`${what} must be a private JWK`);
  return { ...jwk, kid: typeof jwk.kid === 'string' && jwk.kid.length > 0 ? jwk.kid : 'join-1' };
}

/** What a verifier needs of a key: its public members, `kid`, `alg` and `use`. */
function publicHalf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig' };
}
