import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import {
  AppError,
  createGrpcServer,
  createHttpService,
  createLogger,
  createMetrics,
  type GrpcServer,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import type { BusKv } from '@origo/kit/bus';
import { openDatabase, type DatabaseHandle, type DbLogger } from '@origo/kit/db';
import { installAccessControl, type PrincipalResolver } from './access.js';
import type { Schema } from './audit.js';
import { defaultSettings, type ControlSettings } from './config.js';
import * as schema from './db/schema.js';
import { addControlGrpc } from './grpc.js';
import { buildOpenApi, docsPage } from './http/openapi.js';
import { RouteTable } from './http/route.js';
import { registerRoutes } from './http/routes.js';
import { purgeExpiredKeys } from './idempotency.js';
import { createJoinTokenSigner } from './join-token.js';
import { MeetingStore } from './meetings.js';

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const CONTROL_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type ControlDatabase = DatabaseHandle<Schema>;

/** Opens the control database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export function openControlDatabase(options: {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  logger?: DbLogger;
  /** PostgreSQL schema name; tests use a unique one per run. Default `control`. */
  service?: string;
}): Promise<ControlDatabase> {
  return openDatabase({
    service: options.service ?? 'control',
    schema,
    migrationsFolder: CONTROL_MIGRATIONS,
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    logger: options.logger,
  });
}

export interface ControlServiceDeps {
  database: ControlDatabase;
  /** Event bus (room-commands out) and key-value store (passcode throttling). */
  busKv: BusKv;
  /** The join-token private key: an Ed25519 JWK with `kid` (PLATFORM_SECRETS.joinTokenKey). */
  joinTokenKey: string;
  /** Who is calling; see `createPrincipalResolver`. */
  resolvePrincipal: PrincipalResolver;
  settings?: Partial<ControlSettings>;
  logger?: Logger;
  metrics?: ServiceMetrics;
}

export interface ControlService {
  http: HttpService;
  grpc: GrpcServer;
  store: MeetingStore;
  settings: ControlSettings;
  /** The OpenAPI 3.1 document of the REST API. */
  openapi(): Record<string, unknown>;
  /** Binds HTTP and gRPC (port 0 picks free ports). */
  listen(options?: {
    httpPort?: number;
    grpcPort?: number;
    host?: string;
  }): Promise<{ http: string; grpc: string }>;
  setDraining(): void;
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export async function createControlService(deps: ControlServiceDeps): Promise<ControlService> {
  const logger = deps.logger ?? createLogger({ service: 'control' });
  const metrics = deps.metrics ?? createMetrics('control', { defaultMetrics: false });
  const settings = defaultSettings(deps.settings);
  const db = deps.database.db;
  const store = new MeetingStore(db);
  const signer = await createJoinTokenSigner(deps.joinTokenKey, settings.joinTokenTtlSeconds);

  const http = createHttpService({
    service: 'control',
    logger,
    metrics,
    readiness: [
      { name: 'database', check: () => deps.database.ping() },
      { name: 'bus', check: () => deps.busKv.ping() },
    ],
  });
  const app = http.app;
  // Health, metrics and docs carry no permission; everything under /api declares one.
  installAccessControl(app, deps.resolvePrincipal, {
    exempt: (url) =>
      url.startsWith('/health') || url === '/metrics' || url.startsWith('/api/docs') || url === '*',
  });
  app.decorateRequest('meeting', null);

  const authenticate = async (request: FastifyRequest, required: boolean): Promise<void> => {
    request.principal ??= await app.origoPrincipalResolver(request);
    if (required && request.principal === null) throw AppError.unauthenticated();
  };
  const table = new RouteTable(app, authenticate);
  registerRoutes(table, { db, store, bus: deps.busKv.bus, kv: deps.busKv.kv, signer, settings });

  let openapi: Record<string, unknown> | undefined;
  const document = () => (openapi ??= buildOpenApi(table, { title: 'Origo meetings API', version: '1.0.0' }));
  app.get('/api/docs/openapi.json', async () => document());
  app.get('/api/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(document())),
  );

  const grpc = createGrpcServer({ service: 'control', logger, metrics });
  addControlGrpc(grpc, store);

  const purge = setInterval(() => {
    purgeExpiredKeys(db).catch((err: unknown) =>
      logger.warn({ err }, 'could not purge expired idempotency keys'),
    );
  }, PURGE_INTERVAL_MS);
  purge.unref();

  let closing: Promise<void> | undefined;
  let grpcBound = false;
  return {
    http,
    grpc,
    store,
    settings,
    openapi: document,
    async listen(options = {}) {
      const host = options.host ?? '127.0.0.1';
      const { url } = await http.listen(options.httpPort ?? 0, host);
      const port = await grpc.listen(host, options.grpcPort ?? 0);
      grpcBound = true;
      const grpcHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      return { http: url, grpc: `${grpcHost}:${port}` };
    },
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        clearInterval(purge);
        await Promise.all([http.close(), grpcBound ? grpc.shutdown(5000) : Promise.resolve()]);
      })();
      return closing;
    },
  };
}
