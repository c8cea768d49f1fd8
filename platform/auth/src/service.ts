import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AppError,
  assertSameOrigin,
  ErrorCode,
  createHttpService,
  createLogger,
  createMetrics,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import { createBusKv, type Bus, type BusKv, type Kv } from '@origo/kit/bus';
import { NotificationRelay } from '@origo/notification-relay';
import { Accounts } from './accounts.js';
import { createAccessTokenVerifier, signAccessToken, type AccessTokenVerifier } from './access-token.js';
import { SYSTEM, type Actor, type Schema } from './audit.js';
import { defaultSettings, type AuthSettings } from './config.js';
import { Invitations } from './invitations.js';
import { SESSION_COOKIE, readCookie } from './cookies.js';
import * as schema from './db/schema.js';
import { SigningKeyStore, type JsonWebKeySet } from './keys.js';
import { OidcSignIn } from './oidc.js';
import { PasswordHasher, PRODUCTION_ARGON2, type Argon2Params } from './password.js';
import { installAccessControl, type Principal, type RouteEntry } from './rbac.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerInvitationRoutes } from './routes/invitation-routes.js';
import { registerOrgRoutes } from './routes/org-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { publishSessionsEnded } from './session-events.js';
import { SessionWatch } from './session-watch.js';
import { SessionManager } from './sessions.js';
import { SignInThrottle } from './throttle.js';

/** The committed drizzle-kit migrations (same path from src/ and dist/). */
export const AUTH_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type AuthDatabase = DatabaseHandle<Schema>;

/** Opens the auth database (PGlite under dataDir, or PostgreSQL schema `auth` when databaseUrl is set). */
export const openAuthDatabase = databaseOpener('auth', schema, AUTH_MIGRATIONS);

export interface AuthServiceDeps {
  /** An open database (the caller closes it), or how to open one (the service closes it). */
  database: AuthDatabase | { databaseUrl?: string | undefined; dataDir?: string | undefined };
  /** Shared store for throttling counters and OIDC flow state; an in-memory one is created when absent. */
  kv?: Kv;
  /**
   * Where ended sessions are announced, so services that verify access tokens on their own refuse them
   * at once (see session-events.ts). Pass the bus of the same store as `kv`; without either, the
   * in-process one is used.
   */
  bus?: Bus;
  /** Encrypts private signing keys at rest (>= 32 characters); comes from the secret store. */
  keyEncryptionKey: string;
  settings?: Partial<AuthSettings>;
  logger?: Logger;
  metrics?: ServiceMetrics;
  /**
   * argon2id cost. Production values unless given; only tests pass lower ones, to keep the suite fast
   * on small machines.
   */
  argon2?: Argon2Params;
  /** Clock for sessions, one-time tokens and key overlap; tests move it forward. */
  now?: () => Date;
  /** Trust X-Forwarded-For (the gateway in front); false when clients reach the service directly. */
  trustProxy?: boolean;
  /** Largest request body in bytes. Default 64 KiB: auth bodies are small. */
  bodyLimit?: number;
  /**
   * The notification service's gRPC address. Without it, mails wait in the relay table (tests read
   * them there) until a service with a target relays them.
   */
  notificationTarget?: () => Promise<string>;
  /** Relay timing (tests shorten it). Defaults: retry from 1 s up to 5 min, look every 5 s. */
  notificationRelay?: { retryBaseMs?: number; retryMaxMs?: number; intervalMs?: number };
}

export interface AuthService {
  http: HttpService;
  app: FastifyInstance;
  /** Every route this service added, with its declared access (tests enumerate it). */
  routes: readonly RouteEntry[];
  settings: AuthSettings;
  database: AuthDatabase;
  accounts: Accounts;
  /** Invitations of addresses without an account into organizations. */
  invitations: Invitations;
  /** Hands password-reset and verification mails to the notification service. */
  relay: NotificationRelay;
  keys: SigningKeyStore;
  /** Verifies access tokens against this service's own keys, in process (no HTTP). */
  verifier: AccessTokenVerifier;
  /** The JWKS document (active and retiring public keys), for in-process verification. */
  getVerificationKeys(): Promise<JsonWebKeySet>;
  /** Makes a new active signing key; the previous one stays valid for the overlap period. */
  rotateSigningKey(actor?: Actor): Promise<{ kid: string; previousKid: string | null }>;
  /**
   * Resolves a Cookie header and/or an Authorization header to the caller, or null when neither carries
   * a valid credential. Checks the session and the account live, so revocation is immediate.
   */
  resolvePrincipal(headers: {
    cookie?: string | undefined;
    authorization?: string | undefined;
  }): Promise<Principal | null>;
  /** Mints an access token for a principal (single-machine callers that hold a session principal). */
  issueAccessToken(principal: Principal): Promise<{ token: string; expiresAt: Date }>;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** For tests and diagnostics: page requests held until their session ends (GET /api/auth/session/wait). */
  stats(): { sessionWaits: number };
  /** Closes the HTTP listener, then what the service opened itself; idempotent. */
  close(): Promise<void>;
}

function isHandle(value: AuthServiceDeps['database']): value is AuthDatabase {
  return typeof (value as Partial<AuthDatabase>).transaction === 'function';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function createAuthService(deps: AuthServiceDeps): Promise<AuthService> {
  const settings = defaultSettings(deps.settings);
  const logger = deps.logger ?? createLogger({ service: 'auth', level: 'silent' });
  const metrics = deps.metrics ?? createMetrics('auth', { defaultMetrics: false });
  const now = deps.now ?? (() => new Date());
  if (settings.keyOverlapSeconds < settings.accessTokenTtlSeconds) {
    throw new TypeError(
      'keyOverlapSeconds must be at least accessTokenTtlSeconds, or rotated-out tokens fail early',
    );
  }

  const ownsDatabase = !isHandle(deps.database);
  const database = isHandle(deps.database)
    ? deps.database
    : await openAuthDatabase({ ...deps.database, logger });
  let ownBus: BusKv | undefined;
  try {
    let kv = deps.kv;
    let bus = deps.bus;
    if (kv === undefined || bus === undefined) {
      ownBus = await createBusKv({ logger });
      kv ??= ownBus.kv;
      bus ??= ownBus.bus;
    }
    const eventBus = bus;
    const db = database.db;
    const keys = new SigningKeyStore({
      db,
      keyEncryptionKey: deps.keyEncryptionKey,
      alg: settings.signingAlg,
      overlapSeconds: settings.keyOverlapSeconds,
      now,
      onChange: () => verifier.invalidate(),
    });
    await keys.ensureActiveKey();
    const sessions = new SessionManager(
      db,
      { idleMs: settings.sessionIdleMs, absoluteMs: settings.sessionAbsoluteMs },
      now,
    );
    // Tokens of an ended session stay verifiable until they expire (plus the verifiers' clock tolerance).
    sessions.onEnded((sids, all) => {
      const until = new Date(now().getTime() + (settings.accessTokenTtlSeconds + 60) * 1000);
      publishSessionsEnded(eventBus, sids, until, all).catch((err: unknown) =>
        logger.warn({ err, sessions: sids.length }, 'could not announce ended sessions'),
      );
    });
    const throttle = new SignInThrottle(kv, settings.throttle);
    const hasher = new PasswordHasher(deps.argon2 ?? PRODUCTION_ARGON2);
    const relay = new NotificationRelay({
      service: 'auth',
      db,
      target: deps.notificationTarget,
      logger,
      now,
      registry: metrics.registry,
      ...deps.notificationRelay,
    });
    const accounts = new Accounts({
      db,
      hasher,
      sessions,
      throttle,
      now,
      publicUrl: settings.publicUrl,
      signupEnabled: settings.signupEnabled,
      relay,
    });
    const invitations = new Invitations({
      db,
      accounts,
      hasher,
      sessions,
      relay,
      now,
      publicUrl: settings.publicUrl,
    });
    const oidc = settings.oidc === null ? null : new OidcSignIn(settings.oidc, kv);
    const verifier = createAccessTokenVerifier({
      keySource: () => keys.verificationKeys(),
      issuer: settings.issuer,
      audience: settings.audience,
      // In process the source is one query, so an unknown kid may refetch sooner.
      refetchCooldownMs: 1000,
      now,
    });
    const trustedOrigin = new URL(settings.publicUrl).origin;
    const watch = await SessionWatch.start(eventBus, logger);

    const resolvePrincipal = async (
      headers: { cookie?: string | undefined; authorization?: string | undefined },
      request?: FastifyRequest,
    ): Promise<Principal | null> => {
      const authorization = headers.authorization;
      if (authorization !== undefined && authorization !== '') {
        const match = /^Bearer\s+(\S+)$/i.exec(authorization);
        if (match?.[1] === undefined) throw AppError.unauthenticated('Unsupported Authorization scheme');
        const claims = await verifier.verify(match[1]);
        // The token is valid for its 10 minutes elsewhere; here the session must still be alive.
        const live = await sessions.validateById(claims.sid, { slide: false });
        if (live === null || live.user.id !== claims.sub) {
          throw new AppError(ErrorCode.UNAUTHENTICATED, 'The session behind this token has ended', {
            reason: 'session_ended',
          });
        }
        return accounts.principalFor(live.user, live.session.id, 'access_token');
      }
      const token = readCookie(headers.cookie, SESSION_COOKIE);
      if (token === undefined || token === '') return null;
      const live = await sessions.validate(token);
      if (live === null) return null;
      if (request !== undefined && !SAFE_METHODS.has(request.method))
        assertSameOrigin(request, { trustedOrigin, trustForwardedHost: deps.trustProxy ?? false });
      return accounts.principalFor(live.user, live.session.id, 'session');
    };

    const http = createHttpService({
      service: 'auth',
      logger,
      metrics,
      readiness: [{ name: 'database', check: () => database.ping() }],
      bodyLimit: deps.bodyLimit ?? 64 * 1024,
      trustProxy: deps.trustProxy ?? false,
    });
    const app = http.app;
    const routes = installAccessControl(app, (request) =>
      resolvePrincipal(
        {
          cookie: request.headers.cookie,
          authorization:
            typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined,
        },
        request,
      ),
    );
    registerAuthRoutes(app, {
      accounts,
      keys,
      settings,
      oidc,
      kv,
      now,
      trustForwardedHost: deps.trustProxy ?? false,
    });
    registerOrgRoutes(app, { accounts, keys, db });
    registerInvitationRoutes(app, {
      invitations,
      kv,
      now,
      publicUrl: settings.publicUrl,
      cookieSecure: settings.cookieSecure,
      trustForwardedHost: deps.trustProxy ?? false,
    });
    registerSessionRoutes(app, { accounts, sessions, watch });
    await app.ready();
    relay.start();

    let closing: Promise<void> | undefined;
    return {
      http,
      app,
      routes,
      settings,
      database,
      accounts,
      invitations,
      relay,
      keys,
      verifier,
      getVerificationKeys: () => keys.verificationKeys(),
      rotateSigningKey: (actor = SYSTEM) => keys.rotate(actor),
      resolvePrincipal: (headers) => resolvePrincipal(headers),
      async issueAccessToken(principal) {
        const { token, expiresAt } = await signAccessToken(await keys.activeSigner(), principal, {
          issuer: settings.issuer,
          audience: settings.audience,
          ttlSeconds: settings.accessTokenTtlSeconds,
          now: now(),
        });
        return { token, expiresAt };
      },
      listen: (port, host) => http.listen(port, host),
      stats: () => ({ sessionWaits: watch.size }),
      close() {
        closing ??= (async () => {
          // Held session waits answer first, so closing the listener does not wait out their hold.
          await watch.close();
          await http.close();
          await relay.stop();
          await ownBus?.close();
          if (ownsDatabase) await database.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await ownBus?.close();
    if (ownsDatabase) await database.close();
    throw err;
  }
}
