// Access control comes from @origo/auth (one permission map for every service); this module is the one
// place control imports it from, plus the resolver that turns a request into a principal.
import type { FastifyRequest } from 'fastify';
import { AppError, assertSameOrigin, ErrorCode } from '@origo/kit';
import type { Bus, BusLogger } from '@origo/kit/bus';
import {
  createAccessTokenVerifier,
  createHttpAuthClient,
  createSessionRevocations,
  type AccessTokenVerifier,
  type AuthClient,
  type Principal,
  type PrincipalResolver,
  type SessionRevocations,
} from '@origo/auth/client';

export {
  authenticatedRoute,
  hasPermission,
  installAccessControl,
  publicRoute,
  requirePermission,
  roleIn,
  type Principal,
  type PrincipalResolver,
} from '@origo/auth/client';

/** Looks a session cookie up with the auth service; null when the cookie names no live session. */
export type SessionLookup = (cookieHeader: string, request: FastifyRequest) => Promise<Principal | null>;

/**
 * Resolves the caller from `Authorization: Bearer <access JWT>` (verified against auth's JWKS) or, when
 * a session lookup is configured, from the session cookie. A credential that is present but invalid is
 * a 401, never a silent anonymous request.
 */
export function createPrincipalResolver(options: {
  verifier: AccessTokenVerifier;
  sessionLookup?: SessionLookup;
}): PrincipalResolver {
  return async (request) => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization);
      if (match?.[1] === undefined) throw AppError.unauthenticated('Malformed Authorization header');
      return options.verifier.verifyPrincipal(match[1]);
    }
    const cookie = request.headers.cookie;
    if (cookie !== undefined && options.sessionLookup !== undefined)
      return options.sessionLookup(cookie, request);
    return null;
  };
}

/**
 * Refuses principals whose session auth has ended since their access token was issued (sign-out,
 * revocation): every service that verifies access tokens by itself wraps its resolver in this, so a
 * signed-out token stops working everywhere within a bus round trip, not when it expires.
 */
export function refuseEndedSessions(
  resolve: PrincipalResolver,
  revocations: Pick<SessionRevocations, 'isRevoked'>,
): PrincipalResolver {
  return async (request) => {
    const principal = await resolve(request);
    if (principal !== null && revocations.isRevoked(principal.sessionId)) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'The session behind this token has ended', {
        reason: 'session_ended',
      });
    }
    return principal;
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Session cookies belong to the auth service: control asks it who the cookie belongs to (an
 * `AuthClient`: in-process or `GET /api/auth/principal` over HTTP), on every request, so a revoked
 * session stops working here at once.
 *
 * Cookie-authenticated state changes must come from our own origin when the browser names one
 * (defence in depth on top of SameSite=Lax), as auth itself checks.
 */
export function createAuthSessionLookup(options: {
  client: () => Promise<AuthClient>;
  publicUrl: string;
}): SessionLookup {
  const trustedOrigin = new URL(options.publicUrl).origin;
  return async (cookieHeader, request) => {
    if (!SAFE_METHODS.has(request.method))
      assertSameOrigin(request, { trustedOrigin, trustForwardedHost: true });
    const client = await options.client();
    return client.resolve({ cookie: cookieHeader });
  };
}

/** Where a role that runs apart from auth finds it, and what its access tokens must say. */
export interface RemoteAuthOptions {
  /** The auth service's base URL (AUTH_URL, or the AddressBook in single-machine mode). */
  authUrl: () => Promise<string>;
  /** Access JWT issuer and audience (AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE). */
  issuer: string;
  audience: string;
  /** Where the browser reaches Origo (the trusted origin of cookie-authenticated changes). */
  publicUrl: string;
}

/**
 * Who is calling a role that runs apart from auth: access JWTs verified against auth's JWKS (fetched once,
 * again on an unknown key id), session cookies looked up at auth over HTTP. Without the ended-session check:
 * callers wrap it in `refuseEndedSessions`, or use `createRemoteAccess`, which does.
 */
export function createRemotePrincipalResolver(options: RemoteAuthOptions): PrincipalResolver {
  const { authUrl } = options;
  const verifier = createAccessTokenVerifier({
    keySource: async () => {
      const response = await fetch(new URL('/.well-known/jwks.json', await authUrl()), {
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`JWKS fetch failed with HTTP ${response.status}`);
      return (await response.json()) as { keys: never[] };
    },
    issuer: options.issuer,
    audience: options.audience,
  });
  let client: Promise<AuthClient> | undefined;
  const authClient = () => (client ??= authUrl().then((baseUrl) => createHttpAuthClient({ baseUrl })));
  return createPrincipalResolver({
    verifier,
    sessionLookup: createAuthSessionLookup({ client: authClient, publicUrl: options.publicUrl }),
  });
}

/** A role's remote principal resolver together with the ended-session subscription it checks. */
export interface RemoteAccess {
  /** Refuses the tokens of sessions auth has ended (sign-out), within a bus round trip. */
  resolvePrincipal: PrincipalResolver;
  /** The ended sessions heard on the bus, for resolvers built elsewhere (meeting-scoped callers). */
  revocations: SessionRevocations;
  /** Unsubscribes from the bus. */
  close(): Promise<void>;
}

/**
 * The access check of every role that verifies access tokens by itself (billing, notification, chat,
 * recording): `createRemotePrincipalResolver` wrapped in `refuseEndedSessions`, with the subscription to
 * auth's ended-session announcements on `bus`, so no role can forget either.
 */
export async function createRemoteAccess(
  options: RemoteAuthOptions & { bus: Bus; logger?: BusLogger },
): Promise<RemoteAccess> {
  const revocations = await createSessionRevocations(options.bus, {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return {
    resolvePrincipal: refuseEndedSessions(createRemotePrincipalResolver(options), revocations),
    revocations,
    close: () => revocations.close(),
  };
}
