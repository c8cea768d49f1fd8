import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, assertSameOrigin, parseOrThrow } from '@origo/kit';
import { publicUser, type Accounts, type ClientInfo } from '../accounts.js';
import { signAccessToken } from '../access-token.js';
import { SESSION_COOKIE, clearCookie, readCookie, serializeCookie } from '../cookies.js';
import type { AuthSettings } from '../config.js';
import type { SigningKeyStore } from '../keys.js';
import { OIDC_FLOW_COOKIE, type OidcSignIn } from '../oidc.js';
import { authenticatedRoute, principalOf, publicRoute } from '../rbac.js';
import { fixedWindowLimit } from '../throttle.js';
import type { Kv } from '@origo/kit/bus';
import * as v from './validation.js';

export interface AuthRouteDeps {
  accounts: Accounts;
  keys: SigningKeyStore;
  settings: AuthSettings;
  oidc: OidcSignIn | null;
  kv: Kv;
  now: () => Date;
  /** Trust X-Forwarded-Host when comparing a request's Origin (the gateway in front). */
  trustForwardedHost: boolean;
}

export function clientInfo(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : undefined, requestId: request.id };
}

/** Responses that carry credentials or personal data are never cached. */
function noStore(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store');
}

function throttled(reply: FastifyReply, retryAfterSeconds: number, message: string): AppError {
  void reply.header('retry-after', String(retryAfterSeconds));
  return new AppError(ErrorCode.RESOURCE_EXHAUSTED, message, { reason: 'throttled' });
}

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { accounts, settings } = deps;
  const trustedOrigin = new URL(settings.publicUrl).origin;
  // Login CSRF: a foreign page must not sign a browser in (or up) to an account of the attacker's
  // choosing. There is no session yet, so the cookie check in service.ts does not run; the same rule does.
  const sameOrigin = (request: FastifyRequest) =>
    assertSameOrigin(request, { trustedOrigin, trustForwardedHost: deps.trustForwardedHost });

  const setSession = (reply: FastifyReply, token: string, expiresAt: Date) => {
    const maxAge = (expiresAt.getTime() - deps.now().getTime()) / 1000;
    void reply.header(
      'set-cookie',
      serializeCookie(SESSION_COOKIE, token, { secure: settings.cookieSecure, maxAgeSeconds: maxAge }),
    );
  };

  app.post('/api/auth/sign-up', { ...publicRoute() }, async (request, reply) => {
    sameOrigin(request);
    const body = v.parseNewAccountBody(v.signUpBody, request.body);
    const limited = await fixedWindowLimit(deps.kv, `signup:${request.ip}`, 20, 3_600_000);
    if (limited !== null)
      throw throttled(reply, limited, 'Too many sign-ups from this address; try again later');
    const result = await accounts.signUp(body, clientInfo(request));
    setSession(reply, result.token, result.expiresAt);
    noStore(reply);
    return reply.code(201).send({ user: publicUser(result.user), organizationId: result.orgId });
  });

  app.post('/api/auth/sign-in', { ...publicRoute() }, async (request, reply) => {
    sameOrigin(request);
    const body = parseOrThrow(v.signInBody, request.body);
    try {
      const result = await accounts.signIn(body, clientInfo(request));
      setSession(reply, result.token, result.expiresAt);
      noStore(reply);
      return { user: publicUser(result.user) };
    } catch (err) {
      if (
        err instanceof AppError &&
        err.code === ErrorCode.RESOURCE_EXHAUSTED &&
        err.reason?.startsWith('throttled:')
      ) {
        throw throttled(reply, Number(err.reason.slice('throttled:'.length)), err.message);
      }
      throw err;
    }
  });

  app.post('/api/auth/sign-out', { ...authenticatedRoute() }, async (request, reply) => {
    const principal = principalOf(request);
    if (principal.via !== 'session') throw AppError.forbidden('Sign out with the session cookie');
    await accounts.signOut(principal, request.id);
    void reply.header('set-cookie', clearCookie(SESSION_COOKIE, { secure: settings.cookieSecure }));
    return reply.code(204).send();
  });

  app.get('/api/auth/me', { ...authenticatedRoute() }, async (request, reply) => {
    noStore(reply);
    return accounts.me(principalOf(request));
  });

  // The caller changes their own display name (the same rules as at sign-up). Cookie callers pass the
  // same-origin check of every state-changing request (service.ts); bearer tokens carry no ambient authority.
  app.patch('/api/auth/me', { ...authenticatedRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.updateMeBody, request.body);
    noStore(reply);
    return accounts.changeDisplayName(principalOf(request), body.displayName, clientInfo(request));
  });

  // The caller as other services see it (used by createAuthClient); the same data as in an access token.
  app.get('/api/auth/principal', { ...authenticatedRoute() }, async (request, reply) => {
    noStore(reply);
    return principalOf(request);
  });

  app.post('/api/auth/token', { ...authenticatedRoute() }, async (request, reply) => {
    const principal = principalOf(request);
    // Only the session cookie mints tokens; an access token cannot renew itself.
    if (principal.via !== 'session')
      throw AppError.forbidden('Access tokens are issued for a session cookie only');
    const signer = await deps.keys.activeSigner();
    const { token, expiresAt } = await signAccessToken(signer, principal, {
      issuer: settings.issuer,
      audience: settings.audience,
      ttlSeconds: settings.accessTokenTtlSeconds,
      now: deps.now(),
    });
    noStore(reply);
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: settings.accessTokenTtlSeconds,
      expiresAt: expiresAt.toISOString(),
    };
  });

  app.post('/api/auth/password', { ...authenticatedRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.changePasswordBody, request.body);
    const result = await accounts.changePassword(principalOf(request), body, clientInfo(request));
    setSession(reply, result.token, result.expiresAt);
    return reply.code(204).send();
  });

  app.post('/api/auth/verify-email', { ...publicRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.tokenBody, request.body);
    await accounts.verifyEmail(body.token, request.id);
    return reply.code(204).send();
  });

  app.post('/api/auth/verify-email/resend', { ...authenticatedRoute() }, async (request, reply) => {
    const principal = principalOf(request);
    const limited = await fixedWindowLimit(deps.kv, `verify:${principal.userId}`, 5, 3_600_000);
    if (limited !== null) throw throttled(reply, limited, 'Too many requests; try again later');
    await accounts.resendVerification(principal, request.id);
    return reply.code(202).send();
  });

  app.post('/api/auth/password-reset/request', { ...publicRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.resetRequestBody, request.body);
    const limited =
      (await fixedWindowLimit(deps.kv, `reset-ip:${request.ip}`, 20, 3_600_000)) ??
      (await fixedWindowLimit(deps.kv, `reset-mail:${body.email.toLowerCase()}`, 5, 3_600_000));
    if (limited !== null) throw throttled(reply, limited, 'Too many requests; try again later');
    await accounts.requestPasswordReset(body.email, request.id);
    // The same answer whether or not the address has an account.
    return reply.code(202).send();
  });

  app.post('/api/auth/password-reset/confirm', { ...publicRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.resetConfirmBody, request.body);
    await accounts.resetPassword(body, request.id);
    return reply.code(204).send();
  });

  app.get('/api/auth/providers', { ...publicRoute() }, async () => ({
    password: true,
    signUp: settings.signupEnabled,
    oidc: deps.oidc === null ? null : { name: deps.oidc.name, startUrl: '/api/auth/oidc/start' },
  }));

  app.get('/api/auth/oidc/start', { ...publicRoute() }, async (request, reply) => {
    if (deps.oidc === null) throw AppError.notFound('OIDC sign-in');
    const query = request.query as Record<string, unknown>;
    const { url, flowId, maxAgeSeconds } = await deps.oidc.start(query['returnTo']);
    void reply.header(
      'set-cookie',
      serializeCookie(OIDC_FLOW_COOKIE, flowId, {
        secure: settings.cookieSecure,
        maxAgeSeconds,
        path: '/api/auth/oidc',
      }),
    );
    noStore(reply);
    return reply.redirect(url, 302);
  });

  app.get('/api/auth/oidc/callback', { ...publicRoute() }, async (request, reply) => {
    if (deps.oidc === null) throw AppError.notFound('OIDC sign-in');
    const flowId = readCookie(request.headers.cookie, OIDC_FLOW_COOKIE);
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const { identity, returnTo } = await deps.oidc.finish(flowId, query);
    const result = await accounts.signInWithOidc(identity, clientInfo(request));
    void reply.header('set-cookie', [
      clearCookie(OIDC_FLOW_COOKIE, { secure: settings.cookieSecure, path: '/api/auth/oidc' }),
      serializeCookie(SESSION_COOKIE, result.token, {
        secure: settings.cookieSecure,
        maxAgeSeconds: (result.expiresAt.getTime() - deps.now().getTime()) / 1000,
      }),
    ]);
    noStore(reply);
    return reply.redirect(returnTo, 302);
  });

  app.get('/.well-known/jwks.json', { ...publicRoute() }, async (_request, reply) => {
    // Short cache: verifiers see a rotation within a minute, and refetch at once for an unknown kid.
    void reply.header('cache-control', 'public, max-age=60');
    return deps.keys.verificationKeys();
  });
}
