// The `/ws` endpoint on the uWebSockets.js app: one Conn per socket, per-socket rate limits, frame checks,
// decoding, the join handshake, and the idle and join deadlines swept on one timer. A decoded request of a
// joined socket goes to the SignalingNode; everything about sessions and rooms lives there.
import type { Logger } from '@origo/kit';
import { decodeSignalRequest, encodeSignalResponse } from '@origo/proto/json';
import { ErrorCode, type SignalResponse } from '@origo/proto/signal';
import type { SignalingConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import {
  CLOSE,
  errorResponse,
  response,
  toSignalError,
  type ClientLink,
  type Session,
  type SignalingNode,
} from './node.js';
import { TokenBucket } from './rateLimit.js';
import type { TemplatedApp, WebSocket } from './uws.js';

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

export interface SocketEdgeDeps {
  config: SignalingConfig;
  logger: Logger;
  metrics: SignalingMetrics;
  signaling: SignalingNode;
  /** True once the node drains: new sockets are refused with 503. */
  draining: () => boolean;
  /** The uWS module's DISABLED compression constant. */
  compressionDisabled: number;
}

export interface SocketEdge {
  readonly count: number;
  /** Closes every socket with `code` (after signaling told the clients what to do). */
  closeAll(code: number, reason: string): void;
  /** Stops the idle and join deadline sweep. */
  stop(): void;
}

/** Mounts `/ws` on the app. */
export function mountSocketEdge(app: TemplatedApp, deps: SocketEdgeDeps): SocketEdge {
  const { config, logger, metrics, signaling, draining } = deps;
  const conns = new Set<Conn>();
  let nextId = 1;

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
        else if (e.code === ErrorCode.ERROR_CODE_UNAVAILABLE)
          logger.warn({ err }, 'join failed: SFU or store unavailable');
        reject(conn, req.requestId, e.code, e.message, e.reason);
        if (e.code === ErrorCode.ERROR_CODE_UNAUTHENTICATED && ++conn.authFailures >= MAX_AUTH_FAILURES) {
          closeConn(conn, CLOSE.AUTH_FAILURES, 'too many failed joins');
        }
      },
    );
  };

  app.ws<Conn>('/ws', {
    // Frames up to 4x the soft limit get a MESSAGE_TOO_LARGE reply. uWS refuses a larger one from its
    // header, before buffering it, but by cutting TCP without a close frame (the client sees 1006): it
    // has no hook to send 1009 first. The gateway, the public entry, closes such frames with 1009.
    maxPayloadLength: config.SIGNAL_MAX_MESSAGE_BYTES * 4,
    // Liveness is enforced by the application idle timeout below (uWS only allows 0 or >8 s here).
    idleTimeout: 0,
    maxBackpressure: 1024 * 1024,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: false,
    compression: deps.compressionDisabled,
    upgrade: (res, req, context) => {
      if (draining()) {
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

  return {
    get count() {
      return conns.size;
    },
    closeAll(code, reason) {
      for (const conn of [...conns]) closeConn(conn, code, reason);
    },
    stop() {
      clearInterval(sweep);
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
