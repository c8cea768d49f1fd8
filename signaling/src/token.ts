// Join tokens: short-lived JWTs the control plane signs and the signaling tier verifies. Verification
// checks the signature against a pluggable key source (the kit's join-token key today, the auth
// service's JWKS once it exists), an algorithm allow-list, the audience, and exp/nbf.
import { createLocalJWKSet, createRemoteJWKSet, errors, importJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

export const JOIN_TOKEN_AUDIENCE = 'origo-signaling';
/** Asymmetric algorithms only: no HS* (a verifier must not be able to mint) and never `none`. */
export const JOIN_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
const MAX_TOKEN_LENGTH = 8 * 1024;

export interface JoinGrants {
  /** May publish tracks. */
  publish: boolean;
  /** May subscribe to tracks. */
  subscribe: boolean;
  /** May use the host actions (mute, remove, end room). */
  host: boolean;
}

export interface JoinClaims {
  identity: string;
  name: string;
  room: string;
  grants: JoinGrants;
  /** Unix seconds. */
  expiresAt: number;
  /** Most participants the room may hold; undefined for no cap. */
  maxParticipants: number | undefined;
}

/** Why a token was refused; signaling reports all of them as UNAUTHENTICATED. */
export type JoinTokenFailure =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'bad_audience'
  | 'bad_algorithm'
  | 'bad_claims';

export class JoinTokenError extends Error {
  readonly reason: JoinTokenFailure;
  constructor(reason: JoinTokenFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JoinTokenError';
    this.reason = reason;
  }
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  room: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'room may contain letters, digits and . _ : - only'),
  grants: z
    .object({
      publish: z.boolean().default(false),
      subscribe: z.boolean().default(false),
      host: z.boolean().default(false),
    })
    .strict(),
  exp: z.number().int(),
  /** Participant cap of the meeting (control sets it); no cap when absent. */
  max_participants: z.number().int().positive().optional(),
});

function toClaims(payload: JWTPayload): JoinClaims {
  const parsed = claimsSchema.safeParse(payload);
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
    name: c.name ?? c.sub,
    room: c.room,
    grants: c.grants,
    expiresAt: c.exp,
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

/** Key source from the kit's join-token key (PLATFORM_SECRETS.joinTokenKey): verifies with its public half. */
export function localKeySource(privateOrPublicJwk: string | JWK): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: [publicJwk(privateOrPublicJwk)] });
}

/** Key source from a JWKS endpoint (the auth service), cached and refreshed by jose. */
export function remoteKeySource(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), {
    timeoutDuration: 3000,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
  });
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
  /** Participant cap written as `max_participants`. */
  maxParticipants?: number;
}

/** Signs a join token. Used by tests and by the control plane until the auth service issues them. */
export async function signJoinToken(opts: SignJoinTokenOptions): Promise<string> {
  const jwk = parseJwk(opts.privateJwk);
  const alg = jwk.alg ?? (jwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  if (!(JOIN_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TypeError(`join tokens are signed with ${JOIN_TOKEN_ALGORITHMS.join(' or ')}, not ${alg}`);
  }
  const key = await importJWK(jwk, alg);
  const now = opts.issuedAt ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    name: opts.name ?? opts.identity,
    room: opts.room,
    grants: {
      publish: opts.grants?.publish ?? true,
      subscribe: opts.grants?.subscribe ?? true,
      host: opts.grants?.host ?? false,
    },
    ...(opts.maxParticipants !== undefined ? { max_participants: opts.maxParticipants } : {}),
  })
    .setProtectedHeader({ alg, typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setSubject(opts.identity)
    .setAudience(opts.audience ?? JOIN_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(opts.notBefore ?? now)
    .setExpirationTime(now + (opts.ttlSeconds ?? 300));
  if (opts.issuer) jwt.setIssuer(opts.issuer);
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
    return new JoinTokenError('bad_claims', `join token claim ${err.claim} invalid`, { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new JoinTokenError('bad_algorithm', 'join token algorithm not allowed', { cause: err });
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return new JoinTokenError('bad_signature', 'join token signature invalid', { cause: err });
  }
  return new JoinTokenError('malformed', 'join token malformed', { cause: err });
}
