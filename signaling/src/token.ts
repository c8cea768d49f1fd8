// Join tokens: short-lived JWTs the control plane signs and the signaling tier verifies. The contract
// (issuer, audience, algorithms, claims) is control's (`@origo/control/contracts`), written once for both
// sides. Signaling verifies with public keys only: the JWKS control serves at JOIN_TOKEN_JWKS_PATH, with the
// previous key during a rotation, so no signaling node can mint a token.
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, importJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
import {
  JOIN_TOKEN_ALGORITHMS,
  JOIN_TOKEN_AUDIENCE,
  JOIN_TOKEN_ISSUER,
  joinTokenClaimsSchema,
  type JoinGrants,
} from '@origo/control/contracts';

export { JOIN_TOKEN_ALGORITHMS, JOIN_TOKEN_AUDIENCE, JOIN_TOKEN_ISSUER, type JoinGrants };
const MAX_TOKEN_LENGTH = 8 * 1024;

export interface JoinClaims {
  identity: string;
  name: string;
  room: string;
  grants: JoinGrants;
  /** Unix seconds. */
  expiresAt: number;
  /** When the token was issued, ms since the epoch (`iat_ms`). */
  issuedAtMs: number;
  /** Most participants the room may hold. */
  maxParticipants: number | undefined;
}

/** Why a token was refused; signaling reports all of them as UNAUTHENTICATED. */
export type JoinTokenFailure =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'bad_audience'
  | 'bad_issuer'
  | 'bad_algorithm'
  | 'bad_claims'
  /** Control's JWKS could not be fetched: not the token's fault, the client should retry. */
  | 'keys_unavailable';

export class JoinTokenError extends Error {
  readonly reason: JoinTokenFailure;
  constructor(reason: JoinTokenFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JoinTokenError';
    this.reason = reason;
  }
}

function toClaims(payload: JWTPayload): JoinClaims {
  const parsed = joinTokenClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JoinTokenError(
      'bad_claims',
      `join token claims invalid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  const c = parsed.data;
  return {
    identity: c.sub,
    name: c.name,
    room: c.room,
    grants: c.grants,
    expiresAt: c.exp,
    issuedAtMs: c.iat_ms,
    maxParticipants: c.max_participants,
  };
}

function parseJwk(jwk: string | JWK): JWK {
  if (typeof jwk !== 'string') return jwk;
  try {
    return JSON.parse(jwk) as JWK;
  } catch (err) {
    throw new TypeError('join token key is not a JSON JWK', { cause: err });
  }
}

/** The public half of a private JWK (drops every private member). */
export function publicJwk(privateJwk: string | JWK): JWK {
  const jwk = parseJwk(privateJwk);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

/**
 * Key source from keys in hand: public halves only (private members are dropped). For tests and the media
 * bench, which sign their own tokens; a running signaling node uses `remoteKeySource`.
 */
export function localKeySource(...jwks: Array<string | JWK>): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: jwks.map((k) => publicJwk(k)) });
}

/**
 * Key source from control's JWKS (JOIN_TOKEN_JWKS_PATH), cached for 10 minutes and refetched at once
 * (at most every 5 s) for a `kid` it does not know, so a rotated key is picked up by the first join that
 * carries it. `url` may be a promise: in single-machine mode control's address is known only once it
 * listens.
 */
export function remoteKeySource(url: string | (() => Promise<string>)): JWTVerifyGetKey {
  let jwks: Promise<JWTVerifyGetKey> | undefined;
  const load = (): Promise<JWTVerifyGetKey> =>
    (jwks ??= (typeof url === 'string' ? Promise.resolve(url) : url()).then((u) =>
      createRemoteJWKSet(new URL(u), { timeoutDuration: 3000, cooldownDuration: 5000, cacheMaxAge: 600_000 }),
    ));
  return async (header, token) => {
    const getKey = await load().catch((err: unknown) => {
      jwks = undefined;
      throw err;
    });
    return getKey(header, token);
  };
}

/**
 * Readiness of the join-token keys: whether control's JWKS answers with at least one key. Without them
 * every join is refused, so a load balancer must not send clients to this node. A success is kept for
 * 30 s so frequent probes do not each fetch the keys.
 */
export function jwksReadiness(url: string | (() => Promise<string>)): () => Promise<string> {
  let okUntil = 0;
  return async () => {
    if (Date.now() < okUntil) return 'ok';
    try {
      const u = typeof url === 'string' ? url : await url();
      const response = await fetch(u, { signal: AbortSignal.timeout(1000) });
      if (!response.ok) return `join token keys at ${u} answer HTTP ${response.status}`;
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys) || body.keys.length === 0) return `no join token keys at ${u}`;
      okUntil = Date.now() + 30_000;
      return 'ok';
    } catch (err) {
      return `join token keys cannot be fetched: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
}

export interface SignJoinTokenOptions {
  /** Private JWK (the kit's join-token key, or an ES256 key); `kid` and `alg` are taken from it. */
  privateJwk: string | JWK;
  identity: string;
  name?: string;
  room: string;
  grants?: Partial<JoinGrants>;
  /** Lifetime in seconds; default 300. */
  ttlSeconds?: number;
  /** Not valid before this unix time (seconds); default now. */
  notBefore?: number;
  /** Issue time (unix seconds); default now. For tests of expiry. */
  issuedAt?: number;
  audience?: string;
  issuer?: string;
  /** Participant cap written as `max_participants`; default DEFAULT_TEST_CAP. */
  maxParticipants?: number;
}

/** The cap `signJoinToken` writes when none is given: more than any test puts in a room. */
const DEFAULT_TEST_CAP = 1000;

/**
 * Signs a join token as control would (same claims). For tests and the media bench only: in a deployment
 * only control holds a private key.
 */
export async function signJoinToken(opts: SignJoinTokenOptions): Promise<string> {
  const jwk = parseJwk(opts.privateJwk);
  const alg = jwk.alg ?? (jwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  if (!(JOIN_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TypeError(`join tokens are signed with ${JOIN_TOKEN_ALGORITHMS.join(' or ')}, not ${alg}`);
  }
  const key = await importJWK(jwk, alg);
  const nowMs = opts.issuedAt !== undefined ? opts.issuedAt * 1000 : Date.now();
  const now = Math.floor(nowMs / 1000);
  const jwt = new SignJWT({
    iat_ms: nowMs,
    name: opts.name ?? opts.identity,
    room: opts.room,
    grants: {
      publish: opts.grants?.publish ?? true,
      subscribe: opts.grants?.subscribe ?? true,
      host: opts.grants?.host ?? false,
    },
    max_participants: opts.maxParticipants ?? DEFAULT_TEST_CAP,
  })
    .setProtectedHeader({ alg, typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setSubject(opts.identity)
    .setAudience(opts.audience ?? JOIN_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(opts.notBefore ?? now)
    .setExpirationTime(now + (opts.ttlSeconds ?? 300))
    .setIssuer(opts.issuer ?? JOIN_TOKEN_ISSUER)
    .setJti(randomUUID());
  return jwt.sign(key);
}

export interface JoinTokenVerifierOptions {
  keys: JWTVerifyGetKey;
  audience?: string;
  /** Allowed clock skew in seconds; default 5. */
  clockToleranceSeconds?: number;
}

export interface JoinTokenVerifier {
  /**
   * Verifies signature, algorithm, audience, nbf and exp. With `allowExpired` (a resume, whose real
   * credential is the resume secret) an expired but otherwise valid token is accepted.
   */
  verify(token: string, options?: { allowExpired?: boolean }): Promise<JoinClaims>;
}

export function createJoinTokenVerifier(options: JoinTokenVerifierOptions): JoinTokenVerifier {
  const audience = options.audience ?? JOIN_TOKEN_AUDIENCE;
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  return {
    async verify(token, verifyOptions = {}) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new JoinTokenError('malformed', 'join token missing or too long');
      }
      try {
        const { payload } = await jwtVerify(token, options.keys, {
          audience,
          issuer: JOIN_TOKEN_ISSUER,
          algorithms: [...JOIN_TOKEN_ALGORITHMS],
          clockTolerance,
          requiredClaims: ['exp', 'nbf', 'sub'],
        });
        return toClaims(payload);
      } catch (err) {
        if (err instanceof JoinTokenError) throw err;
        // jose checks the signature before any claim, so an expired token's payload is authentic.
        if (err instanceof errors.JWTExpired && verifyOptions.allowExpired) return toClaims(err.payload);
        throw classify(err);
      }
    },
  };
}

function classify(err: unknown): JoinTokenError {
  if (err instanceof errors.JWTExpired)
    return new JoinTokenError('expired', 'join token expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing')
      return new JoinTokenError('bad_claims', `join token lacks ${err.claim}`, { cause: err });
    if (err.claim === 'nbf')
      return new JoinTokenError('not_yet_valid', 'join token not yet valid', { cause: err });
    if (err.claim === 'aud')
      return new JoinTokenError('bad_audience', 'join token audience is not origo-signaling', { cause: err });
    if (err.claim === 'iss')
      return new JoinTokenError('bad_issuer', 'join token was not issued by origo-control', { cause: err });
    return new JoinTokenError('bad_claims', `join token claim ${err.claim} invalid`, { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new JoinTokenError('bad_algorithm', 'join token algorithm not allowed', { cause: err });
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return new JoinTokenError('bad_signature', 'join token signature invalid', { cause: err });
  }
  if (err instanceof errors.JWKSTimeout || isFetchFailure(err))
    return new JoinTokenError('keys_unavailable', 'join token keys unavailable; retry', { cause: err });
  return new JoinTokenError('malformed', 'join token malformed', { cause: err });
}

/**
 * The JWKS could not be had: `fetch` rejects with a TypeError when the server cannot be reached, and jose
 * refuses any answer but 200 (control starting, or a proxy error page).
 */
function isFetchFailure(err: unknown): boolean {
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  return (
    err instanceof errors.JOSEError && err.message.startsWith('Expected 200 OK from the JSON Web Key Set')
  );
}
