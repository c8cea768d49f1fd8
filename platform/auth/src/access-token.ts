// Access tokens (RFC 9068 profile: `typ: at+jwt`), issued by auth and verified by every service.
import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError, ErrorCode } from '@origo/kit';
import type { OrgId, UserId } from './ids.js';
import type { ActiveSigner, JsonWebKeySet } from './keys.js';
import { ORG_ROLES, type Membership, type OrgRole, type Principal } from './rbac.js';

/** The only algorithms accepted; anything else (none, HS*, RS*) is refused before any key is looked at. */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  sub: UserId;
  sid: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  email: string;
  name: string;
  /** E-mail verified. */
  ev: boolean;
  /** Superadmin; present only when true. */
  sa?: true;
  /** Organization id -> role. */
  orgs: Record<string, OrgRole>;
}

export async function signAccessToken(
  signer: ActiveSigner,
  principal: Principal,
  options: { issuer: string; audience: string; ttlSeconds: number; now: Date },
): Promise<{ token: string; expiresAt: Date; claims: AccessTokenClaims }> {
  const iat = Math.floor(options.now.getTime() / 1000);
  const exp = iat + options.ttlSeconds;
  const orgs: Record<string, OrgRole> = {};
  for (const m of principal.memberships) orgs[m.orgId] = m.role;
  const payload = {
    sid: principal.sessionId,
    email: principal.email,
    name: principal.displayName,
    ev: principal.emailVerified,
    ...(principal.superadmin ? { sa: true as const } : {}),
    orgs,
  };
  const jti = randomUUID();
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(principal.userId)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(signer.key);
  const claims: AccessTokenClaims = {
    ...payload,
    iss: options.issuer,
    aud: options.audience,
    sub: principal.userId,
    jti,
    iat,
    nbf: iat,
    exp,
  };
  return { token, expiresAt: new Date(exp * 1000), claims };
}

export type KeySource = () => Promise<JsonWebKeySet>;

export interface AccessTokenVerifierOptions {
  /** Where to fetch the JWKS (the auth service's `/.well-known/jwks.json`). */
  jwksUrl?: string | URL;
  /** In-process alternative to `jwksUrl`, e.g. `auth.getVerificationKeys`. */
  keySource?: KeySource;
  issuer: string;
  audience: string;
  /** Minimum time between two refetches triggered by an unknown kid. Default 30 s. */
  refetchCooldownMs?: number;
  /** Keys are refreshed at least this often even without an unknown kid. Default 10 min. */
  maxCacheAgeMs?: number;
  /** Allowed clock skew for exp/nbf. Default 5 s. */
  clockToleranceSeconds?: number;
  fetch?: typeof fetch;
  /** Clock for exp/nbf checks (tests); the system clock by default. */
  now?: () => Date;
}

export interface AccessTokenVerifier {
  /** Verifies signature, algorithm, type, issuer, audience, exp and nbf; throws UNAUTHENTICATED otherwise. */
  verify(token: string): Promise<AccessTokenClaims>;
  /** As `verify`, shaped as the principal `requirePermission` uses. */
  verifyPrincipal(token: string): Promise<Principal>;
  /** Drops the cached keys, e.g. right after this process rotated them. */
  invalidate(): void;
  /** How many times keys were loaded (tests and metrics). */
  readonly fetchCount: number;
}

function invalid(reason: string, cause?: unknown): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid access token', { reason, cause });
}

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  if ((options.jwksUrl === undefined) === (options.keySource === undefined)) {
    throw new TypeError('createAccessTokenVerifier: pass exactly one of jwksUrl or keySource');
  }
  const cooldownMs = options.refetchCooldownMs ?? 30_000;
  const maxAgeMs = options.maxCacheAgeMs ?? 600_000;
  const doFetch = options.fetch ?? fetch;
  const source: KeySource =
    options.keySource ??
    (async () => {
      const response = await doFetch(String(options.jwksUrl), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`JWKS fetch failed with HTTP ${response.status}`);
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error('JWKS document has no keys array');
      return { keys: body.keys as JWK[] };
    });

  let current: { set: JWTVerifyGetKey; at: number } | undefined;
  let loading: Promise<JWTVerifyGetKey> | undefined;
  let fetchCount = 0;
  /** After a failed refresh, the aged cache is used without asking again until then. */
  let staleUntil = 0;

  const load = (): Promise<JWTVerifyGetKey> => {
    loading ??= (async () => {
      try {
        fetchCount += 1;
        let jwks: JsonWebKeySet;
        try {
          jwks = await source();
        } catch (err) {
          // Not the caller's fault: a 401 would tell a client to drop a token that may be fine.
          throw new AppError(
            ErrorCode.UNAVAILABLE,
            'The keys that check access tokens cannot be fetched from the auth service; try again shortly',
            { reason: 'auth_keys_unavailable', cause: err },
          );
        }
        // Only asymmetric signing keys of the allowed algorithms are ever candidates.
        const keys = jwks.keys.filter(
          (k) =>
            typeof k.kid === 'string' &&
            (ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(String(k.alg)),
        );
        const set = createLocalJWKSet({ keys });
        current = { set, at: Date.now() };
        return set;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (typeof header.kid !== 'string' || header.kid === '') throw invalid('missing_kid');
    // Past its age the cached set is still used when a refresh fails (auth or its database down): keys
    // change only by rotation, and a rotated-in kid takes the refetch path below.
    const cached = current;
    let set =
      cached !== undefined && (Date.now() - cached.at < maxAgeMs || Date.now() < staleUntil)
        ? cached.set
        : await load().catch((err: unknown) => {
            if (cached === undefined) throw err;
            // Try the refresh again after the cooldown, not on every request meanwhile.
            staleUntil = Date.now() + cooldownMs;
            return cached.set;
          });
    try {
      return await set(header, token);
    } catch (err) {
      // An unknown kid may be a key rotated in since the last fetch: refetch once, rate-limited, so a
      // flood of made-up kids cannot turn into a flood of JWKS requests.
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      if (current !== undefined && Date.now() - current.at < cooldownMs) throw err;
      set = await load();
      return set(header, token);
    }
  };

  async function verify(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) throw invalid('malformed');
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'nbf', 'exp'],
        clockTolerance: options.clockToleranceSeconds ?? 5,
        ...(options.now === undefined ? {} : { currentDate: options.now() }),
      });
      return parseClaims(payload as Record<string, unknown>);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw invalid(err instanceof joseErrors.JOSEError ? err.code.toLowerCase() : 'invalid', err);
    }
  }

  return {
    verify,
    async verifyPrincipal(token) {
      return principalFromClaims(await verify(token));
    },
    invalidate() {
      current = undefined;
    },
    get fetchCount() {
      return fetchCount;
    },
  };
}

function parseClaims(payload: Record<string, unknown>): AccessTokenClaims {
  const orgs: Record<string, OrgRole> = {};
  const rawOrgs = payload['orgs'];
  if (rawOrgs !== undefined) {
    if (typeof rawOrgs !== 'object' || rawOrgs === null || Array.isArray(rawOrgs))
      throw invalid('bad_claims');
    for (const [orgId, role] of Object.entries(rawOrgs)) {
      if (!(ORG_ROLES as readonly unknown[]).includes(role)) throw invalid('bad_claims');
      orgs[orgId] = role as OrgRole;
    }
  }
  const str = (key: string): string => {
    const value = payload[key];
    if (typeof value !== 'string') throw invalid('bad_claims');
    return value;
  };
  return {
    iss: str('iss'),
    aud: payload['aud'] as string | string[],
    sub: str('sub') as UserId,
    sid: str('sid'),
    jti: str('jti'),
    iat: payload['iat'] as number,
    nbf: payload['nbf'] as number,
    exp: payload['exp'] as number,
    email: typeof payload['email'] === 'string' ? payload['email'] : '',
    name: typeof payload['name'] === 'string' ? payload['name'] : '',
    ev: payload['ev'] === true,
    ...(payload['sa'] === true ? { sa: true as const } : {}),
    orgs,
  };
}

export function principalFromClaims(claims: AccessTokenClaims): Principal {
  const memberships: Membership[] = Object.entries(claims.orgs).map(([orgId, role]) => ({
    orgId: orgId as OrgId,
    role,
  }));
  return {
    userId: claims.sub,
    email: claims.email,
    emailVerified: claims.ev,
    displayName: claims.name,
    superadmin: claims.sa === true,
    memberships,
    sessionId: claims.sid,
    via: 'access_token',
  };
}
