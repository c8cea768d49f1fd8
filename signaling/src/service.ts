// The signaling service: puts a node together (store, SFU pool, SignalingNode) behind one
// uWebSockets.js app serving `/ws` (sockets.ts) and, on the same port, the health and metrics routes
// (probes.ts), and runs its lifecycle: listen, the node heartbeat and dead-node sweep, drain and close.
// One listener keeps the tier a single port behind the gateway and the ingress; the three HTTP routes are
// simple enough that a second (fastify) listener would only add a port to expose and probe.
import { createMetrics, type Logger, type ServiceMetrics } from '@origo/kit';
import type { BusKv, Unsubscribe } from '@origo/kit/bus';
import { onSessionsEnded } from '@origo/auth/events';
import { ROOM_COMMANDS_CHANNEL } from '@origo/control/contracts';
import { CHAT_CHANGES_CHANNEL } from '@origo/chat/contracts';
import { PresenceStore } from '@origo/control/presence';
import type { JWTVerifyGetKey } from 'jose';
import type { SignalingConfig } from './config.js';
import { createSignalingMetrics, type SignalingMetrics } from './metrics.js';
import { CLOSE, SignalingNode } from './node.js';
import { mountProbes } from './probes.js';
import { noReporter, type RoomEventReporter } from './reporter.js';
import { noChat, type ChatBackend } from './chatBackend.js';
import { SfuPool, type SfuDirectory } from './sfu.js';
import { mountSocketEdge } from './sockets.js';
import { RoomStore } from './store.js';
import { createJoinTokenVerifier } from './token.js';
import { loadUws, type TemplatedApp, type us_listen_socket } from './uws.js';

export interface SignalingDeps {
  config: SignalingConfig;
  logger: Logger;
  /** Shared store and bus (memory on one machine, Redis with REDIS_URL). Owned by the caller. */
  busKv: BusKv;
  /** Where join-token verification keys come from (localKeySource / remoteKeySource). */
  keys: JWTVerifyGetKey;
  /** Readiness of remote keys (jwksReadiness); absent for local keys. */
  keysReady?: () => Promise<string>;
  /** gRPC addresses of the SFU workers. */
  sfuDirectory: SfuDirectory;
  /** TURN REST shared secret; TURN servers are offered only with it and TURN_URLS. */
  turnSecret?: string | undefined;
  metrics?: ServiceMetrics;
  version?: string;
  /** Room lifecycle reports to the control service; none by default. */
  reporter?: RoomEventReporter;
  /** The chat role; without it chat requests are answered UNAVAILABLE. */
  chat?: ChatBackend;
}

export interface SignalingService {
  readonly nodeId: string;
  readonly metrics: ServiceMetrics;
  /** Binds (port 0 picks one); `wsUrl` is the signaling endpoint. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string; wsUrl: string }>;
  /** Refuses new joins and reports not-ready; sessions continue. */
  drain(): void;
  /** Sends every client a reconnect notice, ends sessions, closes sockets and the listener. Idempotent. */
  close(): Promise<void>;
  /** For tests and diagnostics. */
  stats(): { connections: number; sessions: number; rooms: number };
}

export function createSignalingService(deps: SignalingDeps): SignalingService {
  const uws = loadUws();
  const { config, logger } = deps;
  const serviceMetrics = deps.metrics ?? createMetrics('signaling');
  const metrics: SignalingMetrics = createSignalingMetrics(serviceMetrics);
  const nodeId = config.SIGNALING_NODE_ID;
  const store = new RoomStore(deps.busKv.kv, nodeId, config.SIGNALING_NODE_TTL_MS);
  // The pool and the node refer to each other; the pool's callbacks look the node up when they fire.
  const ref: { node?: SignalingNode } = {};
  const pool = new SfuPool({
    logger,
    metrics: serviceMetrics,
    directory: deps.sfuDirectory,
    onEvent: (address, event) => ref.node?.onSfuEvent(address, event),
    onWorkerLost: (address) => ref.node?.onWorkerLost(address),
  });
  const signaling = new SignalingNode({
    config,
    logger,
    metrics,
    bus: deps.busKv.bus,
    store,
    pool,
    verifier: createJoinTokenVerifier({ keys: deps.keys, audience: config.JOIN_TOKEN_AUDIENCE }),
    turnSecret: deps.turnSecret,
    version: deps.version ?? '0.1.0',
    reporter: deps.reporter ?? noReporter,
    chatBackend: deps.chat ?? noChat,
    presenceStore: new PresenceStore(deps.busKv.kv, config.SIGNALING_PRESENCE_TTL_MS),
  });
  ref.node = signaling;
  let draining = false;
  let listenSocket: us_listen_socket | undefined;
  let closing: Promise<void> | undefined;

  const app: TemplatedApp = uws.App();
  const sockets = mountSocketEdge(app, {
    config,
    logger,
    metrics,
    signaling,
    draining: () => draining,
    compressionDisabled: uws.DISABLED,
  });
  mountProbes(app, {
    logger,
    metrics: serviceMetrics,
    pool,
    busKv: deps.busKv,
    draining: () => draining,
    ...(deps.keysReady === undefined ? {} : { keysReady: deps.keysReady }),
  });

  let heartbeat: NodeJS.Timeout | undefined;
  let nodeSweep: NodeJS.Timeout | undefined;
  let presence: NodeJS.Timeout | undefined;
  let commands: Unsubscribe | undefined;
  let chatChanges: Unsubscribe | undefined;
  let sessionsEnded: Unsubscribe | undefined;

  return {
    nodeId,
    metrics: serviceMetrics,
    async listen(port = config.SIGNALING_PORT ?? 7880, host = config.SIGNALING_HOST) {
      await store.heartbeat();
      await store.registerNode();
      await signaling
        .restarted()
        .catch((err: unknown) => logger.warn({ err }, 'looking after a previous run of this node failed'));
      const ttl = config.SIGNALING_NODE_TTL_MS;
      heartbeat = setInterval(() => {
        store
          .heartbeat()
          .then((kept) => (kept ? undefined : signaling.heartbeatLapsed()))
          .catch((err: unknown) => logger.warn({ err }, 'node heartbeat failed'));
      }, ttl / 3);
      heartbeat.unref();
      // A dead node is noticed at most a fifth of its TTL after its mark expires.
      nodeSweep = setInterval(() => {
        signaling.sweepDeadNodes().catch((err: unknown) => logger.warn({ err }, 'dead-node sweep failed'));
      }, ttl / 5);
      nodeSweep.unref();
      presence = setInterval(() => signaling.refreshPresence(), config.SIGNALING_PRESENCE_TTL_MS / 3);
      presence.unref();
      commands = await deps.busKv.bus.subscribe(ROOM_COMMANDS_CHANNEL, (message) =>
        signaling.onRoomCommand(message),
      );
      chatChanges = await deps.busKv.bus.subscribe(CHAT_CHANGES_CHANNEL, (message) =>
        signaling.onChatChange(message),
      );
      sessionsEnded = await onSessionsEnded(
        deps.busKv.bus,
        (message) => {
          signaling
            .onSessionsEnded(message)
            .catch((err: unknown) =>
              logger.warn({ err }, 'ending the sessions of a signed-out account failed'),
            );
        },
        logger,
      );
      const socket = await new Promise<us_listen_socket>((resolve, reject) => {
        // Exclusive: uSockets sets SO_REUSEPORT by default, so a second Origo on this machine would bind the same
        // port without an error and the kernel would hand it half of this node's connections.
        listenExclusive(app, host, port, (token) => {
          if (token) resolve(token);
          else
            reject(new Error(`signaling could not listen on ${host}:${port} (in use?); set SIGNALING_PORT`));
        });
      });
      listenSocket = socket;
      const bound = uws.us_socket_local_port(socket);
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      logger.info({ port: bound, node_id: nodeId }, 'signaling listening');
      return { port: bound, url: `http://${shown}:${bound}`, wsUrl: `ws://${shown}:${bound}/ws` };
    },
    drain() {
      draining = true;
      signaling.drain();
    },
    close() {
      closing ??= (async () => {
        draining = true;
        signaling.drain();
        sockets.stop();
        if (heartbeat) clearInterval(heartbeat);
        if (nodeSweep) clearInterval(nodeSweep);
        if (presence) clearInterval(presence);
        // A store outage must not stop the shutdown before the clients are told to reconnect.
        for (const unsubscribe of [commands, chatChanges, sessionsEnded])
          await unsubscribe?.().catch((err: unknown) => logger.warn({ err }, 'unsubscribing failed'));
        await signaling.close();
        if (listenSocket) uws.us_listen_socket_close(listenSocket);
        listenSocket = undefined;
        sockets.closeAll(CLOSE.GOING_AWAY, 'server shutting down');
        pool.close();
        await store.forgetNode().catch(() => undefined);
      })();
      return closing;
    },
    stats() {
      return { connections: sockets.count, sessions: signaling.sessionCount, rooms: signaling.roomCount };
    },
  };
}

/** LIBUS_LISTEN_EXCLUSIVE_PORT: the binding accepts it with a host too, though its typings only show it without. */
const LISTEN_EXCLUSIVE_PORT = 1;
type ListenWithOptions = (
  host: string,
  port: number,
  options: number,
  cb: (socket: us_listen_socket | false) => void,
) => TemplatedApp;

function listenExclusive(
  app: TemplatedApp,
  host: string,
  port: number,
  cb: (socket: us_listen_socket | false) => void,
): void {
  (app.listen as unknown as ListenWithOptions).call(app, host, port, LISTEN_EXCLUSIVE_PORT, cb);
}
