import { fileURLToPath } from 'node:url';
import { Counter } from 'prom-client';
import {
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
import type { Bus } from '@origo/kit/bus';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import type { CallerResolver } from '@origo/control/meeting-access';
import type { Schema } from './audit.js';
import { ChatStore } from './chat-store.js';
import { CHAT_CHANGES_CHANNEL, toSignalMessage, type ChatChange } from './contracts.js';
import * as schema from './db/schema.js';
import { addChatGrpc } from './grpc.js';
import { registerRoutes } from './http/routes.js';
import { DEFAULT_LIMITS, type ChatLimits } from './limits.js';
import { ReadMarkers } from './read-markers.js';
import { messageProto } from './views.js';

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const CHAT_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type ChatDatabase = DatabaseHandle<Schema>;

/** Opens the chat database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export const openChatDatabase = databaseOpener('chat', schema, CHAT_MIGRATIONS);

export interface ChatServiceDeps {
  database: ChatDatabase;
  /** Who calls the REST API about a meeting (see access.ts). */
  resolveCaller: CallerResolver;
  /**
   * Where edits and deletes made over REST are announced to signaling (CHAT_CHANGES_CHANNEL); without
   * it they are only stored, and the room sees them on its next history read.
   */
  bus?: Bus;
  limits?: Partial<ChatLimits>;
  logger?: Logger;
  metrics?: ServiceMetrics;
  now?: () => Date;
}

export interface ChatService {
  http: HttpService;
  grpc: GrpcServer;
  store: ChatStore;
  markers: ReadMarkers;
  limits: ChatLimits;
  listen(options?: ListenOptions): Promise<BoundAddresses>;
  setDraining(): void;
  close(): Promise<void>;
}

export async function createChatService(deps: ChatServiceDeps): Promise<ChatService> {
  const limits: ChatLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const logger = deps.logger ?? createLogger({ service: 'chat', level: 'silent' });
  const metrics = deps.metrics ?? createMetrics('chat', { defaultMetrics: false });
  const store = new ChatStore(deps.database.db, limits, deps.now);
  const markers = new ReadMarkers(deps.database.db, deps.now);

  const http = createHttpService({
    service: 'chat',
    logger,
    metrics,
    readiness: [{ name: 'database', check: () => deps.database.ping() }],
    // A message edit is at most maxMessageBytes of text plus JSON quoting.
    bodyLimit: 64 * 1024,
    trustProxy: true,
  });
  const { bus } = deps;
  registerRoutes(http.app, {
    store,
    resolveCaller: deps.resolveCaller,
    // The change is stored whatever happens here: a bus failure only delays what the room sees.
    onChanged: (kind, row) => {
      if (bus === undefined) return;
      const change: ChatChange = {
        v: 1,
        kind,
        meetingId: row.meetingId,
        deletedBy: row.deletedBy ?? '',
        message: toSignalMessage(messageProto(row)),
      };
      bus
        .publish(CHAT_CHANGES_CHANNEL, change)
        .catch((err: unknown) =>
          logger.warn({ err, meeting_id: row.meetingId }, 'chat change not announced'),
        );
    },
  });
  await http.app.ready();

  const posted = new Counter({
    name: 'origo_chat_messages_posted_total',
    help: 'Chat messages stored',
    registers: [metrics.registry],
  });
  const grpc = createGrpcServer({ service: 'chat', logger, metrics });
  addChatGrpc(grpc, { store, markers, onPosted: () => posted.inc() });

  let closing: Promise<void> | undefined;
  const listeners = httpAndGrpc(http, grpc);
  return {
    http,
    grpc,
    store,
    markers,
    limits,
    listen: (options) => listeners.listen(options),
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        await listeners.close();
      })();
      return closing;
    },
  };
}
