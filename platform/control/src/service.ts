import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { createSessionRevocations } from '@origo/auth/client';
import {
  AppError,
  createGrpcServer,
  createHttpService,
  httpAndGrpc,
  type BoundAddresses,
  type ListenOptions,
  createLogger,
  createMetrics,
  type GrpcServer,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import type { BusKv, Unsubscribe } from '@origo/kit/bus';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import { OutboxPump } from '@origo/kit/outbox';
import { UsageEvent } from '@origo/proto/billing-rpc';
import { installAccessControl, refuseEndedSessions, type PrincipalResolver } from './access.js';
import type { Schema } from './audit.js';
import { defaultSettings, type ControlSettings } from './config.js';
import * as schema from './db/schema.js';
import { addControlGrpc } from './grpc.js';
import { buildOpenApi, docsPage } from './http/openapi.js';
import { RouteTable } from './http/route.js';
import { registerRoutes } from './http/routes.js';
import { purgeExpiredKeys } from './idempotency.js';
import { InviteLinkStore } from './invite-links.js';
import { RemovalStore } from './removals.js';
import type { BillingQuota } from './billing.js';
import { BILLING_OUTBOX_TOPIC, BILLING_READY_CHANNEL, JOIN_TOKEN_JWKS_PATH } from './contracts.js';
import { createJoinTokenSigner } from './join-token.js';
import { createLobbyEvents } from './lobby-events.js';
import { MeetingStore } from './meetings.js';
import { MeetingNotifier } from './notify.js';
import { MeetingTimeCaps } from './time-caps.js';
import type { MemberDirectory } from './directory.js';
import { PresenceStore } from './presence.js';
import { liveRoomInspector } from './live-rooms.js';

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const CONTROL_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type ControlDatabase = DatabaseHandle<Schema>;

/** Opens the control database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export const openControlDatabase = databaseOpener('control', schema, CONTROL_MIGRATIONS);

export interface ControlServiceDeps {
  database: ControlDatabase;
  /** Event bus (room-commands out) and key-value store (passcode throttling, presence). */
  busKv: BusKv;
  /** Who belongs to an organization (auth's directory), for the presence list; none answers UNAVAILABLE. */
  memberDirectory?: MemberDirectory;
  /** The join-token private key: an Ed25519 JWK with `kid` (PLATFORM_SECRETS.joinTokenKey). */
  joinTokenKey: string;
  /** The join-token key before the last rotation (private or public JWK), still accepted and published. */
  joinTokenKeyPrevious?: string;
  /** Who is calling; see `createPrincipalResolver`. */
  resolvePrincipal: PrincipalResolver;
  settings?: Partial<ControlSettings>;
  logger?: Logger;
  metrics?: ServiceMetrics;
  /**
   * The notification service's gRPC address. Without it, invitation mails, reminder schedules and lobby
   * alerts wait in control's relay table.
   */
  notificationTarget?: () => Promise<string>;
  /** Relay timing (tests shorten it). */
  notificationRelay?: { retryBaseMs?: number; retryMaxMs?: number; intervalMs?: number };
  /**
   * The billing service (plan limits at join time, the meeting length cap). Without it only each
   * meeting's own participant cap applies.
   */
  billing?: BillingQuota;
  /** Timing of the outbox that hands room events to billing (tests shorten it). */
  usageOutbox?: { retryBaseMs?: number; retryMaxMs?: number; intervalMs?: number };
  /** The clock of the meeting length cap (tests move a fake one). */
  clock?: () => number;
}

export interface ControlService {
  http: HttpService;
  grpc: GrpcServer;
  store: MeetingStore;
  /** Queues notifications in control's relay table and hands them to the notification service. */
  notifier: MeetingNotifier;
  settings: ControlSettings;
  /** Warns and ends meetings at their plan's length cap; undefined without billing. */
  timeCaps: MeetingTimeCaps | undefined;
  /** Hands room events to billing's metering; rows wait in the outbox while billing is away. */
  usageOutbox: OutboxPump;
  /** The OpenAPI 3.1 document of the REST API. */
  openapi(): Record<string, unknown>;
  /** Binds HTTP and gRPC (port 0 picks free ports). */
  listen(options?: ListenOptions): Promise<BoundAddresses>;
  setDraining(): void;
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export async function createControlService(deps: ControlServiceDeps): Promise<ControlService> {
  const logger = deps.logger ?? createLogger({ service: 'control' });
  const metrics = deps.metrics ?? createMetrics('control', { defaultMetrics: false });
  const settings = defaultSettings(deps.settings);
  const db = deps.database.db;
  const notifier = new MeetingNotifier({
    db,
    publicUrl: settings.publicUrl,
    logger,
    target: deps.notificationTarget,
    registry: metrics.registry,
    ...(deps.notificationRelay === undefined ? {} : { relay: deps.notificationRelay }),
  });
  const store = new MeetingStore(db, notifier, deps.billing?.recordUsage !== undefined);
  const signer = await createJoinTokenSigner(
    deps.joinTokenKey,
    settings.joinTokenTtlSeconds,
    deps.joinTokenKeyPrevious,
  );
  const links = new InviteLinkStore(db);
  const removals = new RemovalStore(db);
  const lobbyEvents = await createLobbyEvents(deps.busKv.bus, logger);

  const http = createHttpService({
    service: 'control',
    logger,
    metrics,
    readiness: [
      { name: 'database', check: () => deps.database.ping() },
      { name: 'bus', check: () => deps.busKv.ping() },
    ],
    // REST habit is DELETE for "remove a meeting"; here a meeting is cancelled (it stays on record).
    methodNotAllowedHint: (method, path) =>
      method === 'DELETE' && /^\/api\/meetings\/[^/]+$/.test(path)
        ? 'A meeting is cancelled with POST /api/meetings/{id}/cancel.'
        : undefined,
  });
  const app = http.app;
  // Access tokens are verified here without asking auth; sessions auth ended since they were issued are
  // refused within a bus round trip, not only once the token expires.
  const revocations = await createSessionRevocations(deps.busKv.bus, { logger });
  const resolvePrincipal: PrincipalResolver = refuseEndedSessions(deps.resolvePrincipal, revocations);
  // Health, metrics and docs carry no permission; everything under /api declares one.
  installAccessControl(app, resolvePrincipal, {
    exempt: (url) =>
      url.startsWith('/health') ||
      url === '/metrics' ||
      url.startsWith('/api/docs') ||
      url === JOIN_TOKEN_JWKS_PATH ||
      url === '*',
  });
  // Signaling verifies join tokens with these public keys; it holds no private key of its own.
  app.get(JOIN_TOKEN_JWKS_PATH, async (_request, reply) => {
    // Short cache: a verifier refetches at once for a kid it does not know, so a rotation needs no wait.
    void reply.header('cache-control', 'public, max-age=60');
    return signer.jwks();
  });
  app.decorateRequest('meeting', null);

  const authenticate = async (request: FastifyRequest, required: boolean): Promise<void> => {
    request.principal ??= await app.origoPrincipalResolver(request);
    if (required && request.principal === null) throw AppError.unauthenticated();
  };
  const table = new RouteTable(app, authenticate);
  const rooms = liveRoomInspector(deps.busKv.kv);
  registerRoutes(table, {
    rooms,
    db,
    store,
    links,
    removals,
    lobbyEvents,
    bus: deps.busKv.bus,
    kv: deps.busKv.kv,
    signer,
    settings,
    billing: deps.billing,
    presence: new PresenceStore(deps.busKv.kv),
    directory: deps.memberDirectory,
  });

  let openapi: Record<string, unknown> | undefined;
  const document = () => (openapi ??= buildOpenApi(table, { title: 'Origo meetings API', version: '1.0.0' }));
  app.get('/api/docs/openapi.json', async () => document());
  app.get('/api/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(document())),
  );

  const grpc = createGrpcServer({ service: 'control', logger, metrics });
  // Billing meters the room events control records, from the outbox rows written with them (it drops
  // duplicates by event id). Without billing no rows are written and nothing is sent.
  const recordUsage = deps.billing?.recordUsage?.bind(deps.billing);
  const usageOutbox = new OutboxPump({
    topic: BILLING_OUTBOX_TOPIC,
    db,
    send:
      recordUsage === undefined
        ? undefined
        : (payloads) => recordUsage(payloads.map((p) => UsageEvent.fromJSON(p))),
    logger,
    registry: metrics.registry,
    ...deps.usageOutbox,
  });
  addControlGrpc(grpc, store, removals, signer, () => usageOutbox.kick());
  // Billing says when it (re)starts: what waits goes at once instead of after its backoff.
  const billingBack: Unsubscribe | undefined =
    recordUsage === undefined
      ? undefined
      : await deps.busKv.bus.subscribe(BILLING_READY_CHANNEL, () => {
          usageOutbox
            .retryNow()
            .catch((err: unknown) => logger.warn({ err }, 'could not resume the usage outbox'));
        });
  usageOutbox.start();

  const timeCaps =
    deps.billing === undefined
      ? undefined
      : new MeetingTimeCaps({
          db,
          store,
          billing: deps.billing,
          bus: deps.busKv.bus,
          kv: deps.busKv.kv,
          logger,
          ...(deps.clock === undefined ? {} : { now: deps.clock }),
          onEnded: (meeting) => lobbyEvents.changed(meeting.id),
        });
  // With a test clock the test drives the sweeps itself.
  if (deps.clock === undefined) timeCaps?.start();

  const purge = setInterval(() => {
    purgeExpiredKeys(db).catch((err: unknown) =>
      logger.warn({ err }, 'could not purge expired idempotency keys'),
    );
  }, PURGE_INTERVAL_MS);
  purge.unref();

  notifier.start();

  let closing: Promise<void> | undefined;
  const listeners = httpAndGrpc(http, grpc);
  return {
    http,
    grpc,
    store,
    notifier,
    settings,
    timeCaps,
    usageOutbox,
    openapi: document,
    listen: (options) => listeners.listen(options),
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        clearInterval(purge);
        await timeCaps?.stop();
        await billingBack?.();
        await usageOutbox.stop();
        deps.billing?.close();
        // Held lobby requests answer now instead of keeping the listener open for their wait.
        await lobbyEvents.close();
        await revocations.close();
        await listeners.close();
        rooms.close();
        await notifier.stop();
      })();
      return closing;
    },
  };
}
