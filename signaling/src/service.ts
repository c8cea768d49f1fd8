// The WebSocket edge: a uWebSockets.js app serving `/ws` (signaling) and, on the same port,
// `/health/live`, `/health/ready` and `/metrics`. One listener keeps the tier a single port behind the
// gateway and the ingress; the three HTTP routes are simple enough that a second (fastify) listener
// would only add a port to expose and probe.
import { createMetrics, type Logger, type ServiceMetrics } from '@origo/kit';
import type { BusKv, Unsubscribe } from '@origo/kit/bus';
import { ROOM_COMMANDS_CHANNEL } from '@origo/control/contracts';
import { decodeSignalRequest, encodeSignalResponse } from '@origo/proto/json';
import { ErrorCode, type SignalResponse } from '@origo/proto/signal';
import type { JWTVerifyGetKey } from 'jose';
import type { SignalingConfig } from './config.js';
import { createSignalingMetrics, type SignalingMetrics } from './metrics.js';
import {
  CLOSE,
  errorResponse,
  response,
  SignalingNode,
  toSignalError,
  type ClientLink,
  type Session,
} from './node.js';
import { TokenBucket } from './rateLimit.js';
import { noReporter, type RoomEventReporter } from './reporter.js';
import { SfuPool, type SfuDirectory } from './sfu.js';
import { RoomStore } from './store.js';
import { createJoinTokenVerifier } from './token.js';
import {
  loadUws,
  type HttpResponse,
  type TemplatedApp,
  type us_listen_socket,
  type WebSocket,
} from './uws.js';

export interface SignalingDeps {
  config: SignalingConfig;
  logger: Logger;
  /** Shared store and bus (memory on one machine, Redis with REDIS_URL). Owned by the caller. */
  busKv: BusKv;
  /** Where join-token verification keys come from (localKeySource / remoteKeySource). */
  keys: JWTVerifyGetKey;
  /** gRPC addresses of the SFU workers. */
  sfuDirectory: SfuDirectory;
  /** TURN REST shared secret; TURN servers are offered only with it and TURN_URLS. */
  turnSecret?: string | undefined;
  metrics?: ServiceMetrics;
  version?: string;
  /** Room lifecycle reports to the control service; none by default. */
  reporter?: RoomEventReporter;
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

interface Conn {
  id: number;
  ws: WebSocket<Conn> | undefined;
  open: boolean;
  session: Session | undefined;
  joining: boolean;
  bucket: TokenBucket;
  refusedInRow: number;
  authFailures: number;
  openedAt: number;
  lastSeen: number;
  link: ClientLink;
}

const MAX_AUTH_FAILURES = 5;
const NODE_TTL_MS = 15_000;

export function createSignalingService(deps: SignalingDeps): SignalingService {
  const uws = loadUws();
  const { config, logger } = deps;
  const serviceMetrics = deps.metrics ?? createMetrics('signaling');
  const metrics: SignalingMetrics = createSignalingMetrics(serviceMetrics);
  const nodeId = config.SIGNALING_NODE_ID;
  const store = new RoomStore(deps.busKv.kv, nodeId, NODE_TTL_MS);
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
  });
  ref.node = signaling;
  const conns = new Set<Conn>();
  let nextId = 1;
  let draining = false;
  let listenSocket: us_listen_socket | undefined;
  let closing: Promise<void> | undefined;

  const sendOn = (conn: Conn, message: SignalResponse): void => {
    const ws = conn.ws;
    if (!conn.open || !ws) return;
    metrics.messages.inc({ direction: 'out', type: message.message?.$case ?? 'none' });
    const text = encodeSignalResponse(message);
    ws.cork(() => ws.send(text, false));
  };

  const closeConn = (conn: Conn, code: number, reason: string): void => {
    if (!conn.open || !conn.ws) return;
    const ws = conn.ws;
    ws.cork(() => ws.end(code, reason));
  };

  const reject = (conn: Conn, requestId: string, code: ErrorCode, message: string, reason: string): void => {
    metrics.rejected.inc({ reason });
    sendOn(conn, errorResponse(requestId, code, message));
  };

  const onText = (conn: Conn, text: string): void => {
    const decoded = decodeSignalRequest(text, { maxBytes: config.SIGNAL_MAX_MESSAGE_BYTES });
    if (!decoded.ok) {
      const tooLarge = decoded.code === ErrorCode.ERROR_CODE_MESSAGE_TOO_LARGE;
      reject(
        conn,
        tooLarge ? '' : requestIdOf(text),
        decoded.code,
        decoded.error,
        tooLarge ? 'too_large' : 'invalid',
      );
      return;
    }
    const req = decoded.value;
    const kind = req.message.$case;
    metrics.messages.inc({ direction: 'in', type: kind });
    if (kind === 'ping') {
      sendOn(
        conn,
        response(req.requestId, 'pong', {
          clientTimestampMs: req.message.value.timestampMs,
          serverTimestampMs: Date.now(),
        }),
      );
      return;
    }
    if (conn.session) {
      signaling.handle(conn.session, req);
      return;
    }
    if (req.message.$case !== 'join') {
      reject(
        conn,
        req.requestId,
        ErrorCode.ERROR_CODE_FAILED_PRECONDITION,
        'send join (with the token) first',
        'not_joined',
      );
      return;
    }
    if (conn.joining) {
      reject(
        conn,
        req.requestId,
        ErrorCode.ERROR_CODE_FAILED_PRECONDITION,
        'join already in progress',
        'join_in_progress',
      );
      return;
    }
    conn.joining = true;
    signaling.join(conn.link, req.message.value, req.requestId).then(
      (session) => {
        conn.joining = false;
        conn.session = session;
        if (!conn.open) signaling.detach(session, conn.link);
      },
      (err: unknown) => {
        conn.joining = false;
        conn.session = undefined;
        const e = toSignalError(err);
        if (e.code === ErrorCode.ERROR_CODE_INTERNAL) logger.error({ err }, 'join failed');
        reject(conn, req.requestId, e.code, e.message, e.reason);
        if (e.code === ErrorCode.ERROR_CODE_UNAUTHENTICATED && ++conn.authFailures >= MAX_AUTH_FAILURES) {
          closeConn(conn, CLOSE.AUTH_FAILURES, 'too many failed joins');
        }
      },
    );
  };

  const app: TemplatedApp = uws.App();
  app.ws<Conn>('/ws', {
    // Frames up to 4x the soft limit get a MESSAGE_TOO_LARGE reply; beyond that uWS closes with 1009.
    maxPayloadLength: config.SIGNAL_MAX_MESSAGE_BYTES * 4,
    // Liveness is enforced by the application idle timeout below (uWS only allows 0 or >8 s here).
    idleTimeout: 0,
    maxBackpressure: 1024 * 1024,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: false,
    compression: uws.DISABLED,
    upgrade: (res, req, context) => {
      if (draining) {
        res.writeStatus('503 Service Unavailable').end('draining');
        return;
      }
      const now = performance.now();
      const conn: Conn = {
        id: nextId++,
        ws: undefined,
        open: false,
        session: undefined,
        joining: false,
        bucket: new TokenBucket(config.SIGNAL_RATE_PER_SECOND, config.SIGNAL_RATE_BURST, now),
        refusedInRow: 0,
        authFailures: 0,
        openedAt: now,
        lastSeen: now,
        link: undefined as unknown as ClientLink,
      };
      res.upgrade(
        conn,
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      // uWS hands back its own copy of the upgrade's user data: the link must close over that one.
      const conn = ws.getUserData();
      conn.ws = ws;
      conn.open = true;
      conn.link = {
        send: (message) => sendOn(conn, message),
        close: (code, reason) => closeConn(conn, code, reason),
        bind: (session) => {
          conn.session = session;
        },
      };
      conns.add(conn);
      metrics.connections.set(conns.size);
    },
    message: (ws, message, isBinary) => {
      const conn = ws.getUserData();
      const now = performance.now();
      conn.lastSeen = now;
      if (!conn.bucket.take(now)) {
        conn.refusedInRow += 1;
        metrics.rejected.inc({ reason: 'rate_limited' });
        if (conn.refusedInRow >= config.SIGNAL_FLOOD_CLOSE_AFTER) {
          closeConn(conn, CLOSE.RATE_LIMITED, 'rate limit exceeded');
          return;
        }
        sendOn(conn, errorResponse('', ErrorCode.ERROR_CODE_RATE_LIMITED, 'too many messages; slow down'));
        return;
      }
      conn.refusedInRow = 0;
      if (isBinary) {
        reject(
          conn,
          '',
          ErrorCode.ERROR_CODE_INVALID_REQUEST,
          'binary frames are not supported; send JSON text',
          'binary',
        );
        return;
      }
      // The ArrayBuffer is only valid during this callback: toString copies it out.
      onText(conn, Buffer.from(message).toString('utf8'));
    },
    close: (ws, code) => {
      const conn = ws.getUserData();
      conn.open = false;
      conn.ws = undefined;
      conns.delete(conn);
      metrics.connections.set(conns.size);
      metrics.closed.inc({ code: String(code) });
      if (conn.session) signaling.detach(conn.session, conn.link);
    },
  });

  const sendHttp = (res: HttpResponse, status: string, type: string, body: string): void => {
    res.cork(() =>
      res
        .writeStatus(status)
        .writeHeader('content-type', type)
        .writeHeader('cache-control', 'no-store')
        .end(body),
    );
  };
  const asyncHttp = (
    res: HttpResponse,
    work: () => Promise<{ status: string; type: string; body: string }>,
  ): void => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    work().then(
      (r) => {
        if (!aborted) sendHttp(res, r.status, r.type, r.body);
      },
      (err: unknown) => {
        logger.error({ err }, 'HTTP handler failed');
        if (!aborted) sendHttp(res, '500 Internal Server Error', 'application/json', '{"status":"error"}');
      },
    );
  };
  app.get('/health/live', (res) => sendHttp(res, '200 OK', 'application/json', '{"status":"ok"}'));
  app.get('/health/ready', (res) =>
    asyncHttp(res, async () => {
      const checks: Record<string, string> = {};
      if (draining) checks['lifecycle'] = 'draining';
      const [sfu, bus] = await Promise.all([
        pool.loads(1000).then(
          (loads) => (loads.length > 0 ? 'ok' : 'no SFU worker answers'),
          (err: unknown) => String(err),
        ),
        withTimeout(deps.busKv.ping(), 1000).then(
          () => 'ok',
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        ),
      ]);
      checks['sfu'] = sfu;
      checks['store'] = bus;
      const ok = !draining && sfu === 'ok' && bus === 'ok';
      return {
        status: ok ? '200 OK' : '503 Service Unavailable',
        type: 'application/json',
        body: JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks }),
      };
    }),
  );
  app.get('/metrics', (res) =>
    asyncHttp(res, async () => ({
      status: '200 OK',
      type: serviceMetrics.registry.contentType,
      body: await serviceMetrics.registry.metrics(),
    })),
  );
  app.any('/*', (res) => sendHttp(res, '404 Not Found', 'application/json', '{"status":"not found"}'));

  // Application-level idle and join timeouts, swept on one timer for all sockets.
  const sweepMs = Math.max(
    50,
    Math.min(1000, Math.floor(Math.min(config.SIGNAL_IDLE_TIMEOUT_MS, config.SIGNAL_JOIN_TIMEOUT_MS) / 4)),
  );
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const conn of [...conns]) {
      if (now - conn.lastSeen > config.SIGNAL_IDLE_TIMEOUT_MS)
        closeConn(conn, CLOSE.IDLE_TIMEOUT, 'idle timeout');
      else if (!conn.session && !conn.joining && now - conn.openedAt > config.SIGNAL_JOIN_TIMEOUT_MS) {
        closeConn(conn, CLOSE.JOIN_TIMEOUT, 'no join in time');
      }
    }
  }, sweepMs);
  sweep.unref();
  let heartbeat: NodeJS.Timeout | undefined;
  let commands: Unsubscribe | undefined;

  return {
    nodeId,
    metrics: serviceMetrics,
    async listen(port = config.SIGNALING_PORT, host = config.SIGNALING_HOST) {
      await store.heartbeat();
      heartbeat = setInterval(() => {
        store.heartbeat().catch((err: unknown) => logger.warn({ err }, 'node heartbeat failed'));
      }, NODE_TTL_MS / 3);
      heartbeat.unref();
      commands = await deps.busKv.bus.subscribe(ROOM_COMMANDS_CHANNEL, (message) =>
        signaling.onRoomCommand(message),
      );
      const socket = await new Promise<us_listen_socket>((resolve, reject) => {
        app.listen(host, port, (token) => {
          if (token) resolve(token);
          else reject(new Error(`signaling could not listen on ${host}:${port}`));
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
        clearInterval(sweep);
        if (heartbeat) clearInterval(heartbeat);
        await commands?.();
        await signaling.close();
        if (listenSocket) uws.us_listen_socket_close(listenSocket);
        listenSocket = undefined;
        for (const conn of [...conns]) closeConn(conn, CLOSE.GOING_AWAY, 'server shutting down');
        pool.close();
        await store.forgetNode().catch(() => undefined);
      })();
      return closing;
    },
    stats() {
      return { connections: conns.size, sessions: signaling.sessionCount, rooms: signaling.roomCount };
    },
  };
}

/** Echoes the client's requestId in errors about messages that failed to decode, when it can be read. */
function requestIdOf(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && 'requestId' in value) {
      const id = (value as { requestId: unknown }).requestId;
      if (typeof id === 'string' && id.length <= 128) return id;
    }
  } catch {
    // not JSON: no id to echo
  }
  return '';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}
