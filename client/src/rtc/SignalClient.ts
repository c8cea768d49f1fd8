// The signaling WebSocket: join with the token in the first message, keep-alive, and reconnect with
// resume when the socket drops. The rules live in protocol.ts; this file does the I/O.
import {
  DisconnectReason,
  ErrorCode,
  type JoinResponse,
  type Resumed,
  type SignalRequest,
  type SignalResponse,
} from '@origo/proto/signal';
import { Emitter } from './emitter.js';
import { mark } from './marks.js';
import {
  DEFAULT_SESSION_OPTIONS,
  PendingRequests,
  decodeResponse,
  encodeRequest,
  initialSession,
  transition,
  type CloseReason,
  type SessionEffect,
  type SessionEvent,
  type SessionOptions,
  type SessionState,
} from './protocol.js';

type RequestMessage = NonNullable<SignalRequest['message']>;
export type ResponseMessage = NonNullable<SignalResponse['message']>;

export type SignalClientEvents = {
  /** Every server message (after the session bookkeeping). */
  message: [message: ResponseMessage, requestId: string];
  joined: [response: JoinResponse];
  resumed: [response: Resumed];
  /** The session was replaced by a fresh one: peer connections must be rebuilt. */
  rejoined: [response: JoinResponse];
  /** The socket came back on the same session: restart ICE on both connections. */
  restartIce: [];
  phase: [state: SessionState];
  closed: [reason: CloseReason];
  rtt: [ms: number];
};

export class SignalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SignalError';
  }
}

export interface SignalClientOptions {
  url: string;
  token: string;
  session?: Partial<SessionOptions>;
  /** Requests without a reply after this many ms are rejected. */
  requestTimeoutMs?: number;
  WebSocketImpl?: typeof WebSocket;
}

export class SignalClient extends Emitter<SignalClientEvents> {
  private state: SessionState = initialSession();
  private ws: WebSocket | null = null;
  private readonly pending = new PendingRequests<ResponseMessage>();
  private readonly opts: SessionOptions;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private joinResolve: ((r: JoinResponse) => void) | null = null;
  private joinReject: ((e: Error) => void) | null = null;
  /** Messages sent while the socket is down; flushed after the session resumes. */
  private readonly outbox: string[] = [];
  private pingIntervalMs = 5_000;
  private lastMessageAt = 0;
  private pingTimeoutMs = 15_000;
  /** The join token for the next join; the server replaces it before it expires (token_refresh). */
  private token: string;

  constructor(private readonly options: SignalClientOptions) {
    super();
    this.opts = { ...DEFAULT_SESSION_OPTIONS, ...options.session };
    this.token = options.token;
  }

  get session(): SessionState {
    return this.state;
  }

  /** The current join token (kept fresh by the server); it also proves the meeting's grants to REST. */
  get joinToken(): string {
    return this.token;
  }

  /** Opens the socket and joins; resolves with the join response. */
  connect(): Promise<JoinResponse> {
    return new Promise<JoinResponse>((resolve, reject) => {
      this.joinResolve = resolve;
      this.joinReject = reject;
      this.dispatch({ type: 'start' });
    });
  }

  /** Sends a request and waits for its reply (ack, answer, or error). */
  request(
    message: RequestMessage,
    timeoutMs = this.options.requestTimeoutMs ?? 15_000,
  ): Promise<ResponseMessage> {
    const requestId = this.pending.nextId();
    const reply = this.pending.wait(requestId);
    const timer = setTimeout(
      () =>
        this.pending.fail(
          requestId,
          new SignalError(ErrorCode.ERROR_CODE_UNAVAILABLE, `${message.$case} timed out`),
        ),
      timeoutMs,
    );
    void reply.finally(() => clearTimeout(timer)).catch(() => undefined);
    this.sendRaw({ requestId, message });
    return reply;
  }

  /** Sends without waiting for a reply. */
  send(message: RequestMessage): void {
    this.sendRaw({ requestId: '', message });
  }

  /** Leaves on purpose: tells the server, then closes. */
  leave(): void {
    if (this.state.phase === 'closed') return;
    if (this.ws?.readyState === WebSocket.OPEN)
      this.ws.send(encodeRequest({ requestId: '', message: { $case: 'leave', value: {} } }));
    this.dispatch({ type: 'leave' });
  }

  /**
   * Gives up the socket as a network failure would, and reconnects with resume. Its close event is not
   * awaited: over a path that is gone the close handshake waits for the network to return (or a minute).
   */
  dropSocket(): void {
    const ws = this.ws;
    if (ws === null) return;
    this.ws = null;
    ws.onclose = null;
    ws.close(4000, 'client reconnect');
    this.dispatch({ type: 'socket_closed' });
  }

  /** The browser reports a network change: resume on a new socket now (see protocol.ts). */
  networkChanged(): void {
    this.dispatch({ type: 'network_changed' });
  }

  private sendRaw(req: SignalRequest): void {
    const text = encodeRequest(req);
    if (this.ws?.readyState === WebSocket.OPEN && this.state.phase === 'joined') this.ws.send(text);
    else if (this.state.phase !== 'closed') this.outbox.push(text);
  }

  private dispatch(event: SessionEvent): void {
    const { state, effects } = transition(this.state, event, this.opts);
    const phaseChanged = state.phase !== this.state.phase;
    this.state = state;
    if (phaseChanged) this.emit('phase', state);
    for (const e of effects) this.run(e);
  }

  private run(effect: SessionEffect): void {
    switch (effect.type) {
      case 'open_socket':
        // A network change asks for a new socket now: drop a pending retry and an attempt still connecting
        // (it may be stuck on the old path).
        if (this.retryTimer !== null) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        if (this.ws !== null) {
          const ws = this.ws;
          this.ws = null;
          ws.onclose = null;
          ws.close(1000, 'superseded');
        }
        this.openSocket();
        return;
      case 'send_join':
        this.ws?.send(
          encodeRequest({
            requestId: 'join',
            message: {
              $case: 'join',
              value: {
                token: this.token,
                resume:
                  effect.resume === null
                    ? undefined
                    : { sessionId: effect.resume.sessionId, resumeSecret: effect.resume.resumeSecret },
              },
            },
          }),
        );
        return;
      case 'schedule_retry':
        this.stopPing();
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.dispatch({ type: 'retry_timer' });
        }, effect.delayMs);
        return;
      case 'close_socket':
        this.stopPing();
        if (this.retryTimer !== null) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        if (this.ws !== null) {
          const ws = this.ws;
          this.ws = null;
          ws.onclose = null;
          ws.close(1000, 'bye');
        }
        return;
      case 'close_socket_for_retry':
        this.stopPing();
        if (this.ws !== null) {
          const ws = this.ws;
          this.ws = null;
          ws.onclose = null;
          ws.close(1000, 'rejoin');
        }
        return;
      case 'restart_ice':
        this.emit('restartIce');
        return;
      case 'rejoin':
        // Emitted from onJoinResponse once the response is at hand.
        return;
      case 'closed':
        this.pending.rejectAll(
          new SignalError(ErrorCode.ERROR_CODE_UNAVAILABLE, `session closed: ${effect.reason}`),
        );
        this.joinReject?.(new SignalError(ErrorCode.ERROR_CODE_UNAVAILABLE, `join failed: ${effect.reason}`));
        this.joinReject = null;
        this.joinResolve = null;
        this.outbox.length = 0;
        this.emit('closed', effect.reason);
        this.removeAllListeners();
        return;
    }
  }

  private openSocket(): void {
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(this.options.url);
    } catch {
      this.dispatch({ type: 'socket_closed' });
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      mark('socket-open');
      if (this.ws === ws) this.dispatch({ type: 'socket_open' });
    };
    ws.onmessage = (e: MessageEvent) => {
      if (this.ws !== ws || typeof e.data !== 'string') return;
      this.onFrame(e.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dispatch({ type: 'socket_closed' });
    };
    ws.onerror = () => undefined;
  }

  private onFrame(text: string): void {
    const msg = decodeResponse(text);
    if (msg === undefined || msg.message === undefined) return;
    this.lastMessageAt = Date.now();
    const m = msg.message;
    switch (m.$case) {
      case 'joinResponse': {
        mark('join-response');
        const wasResuming = this.state.phase === 'resuming';
        this.pingIntervalMs = m.value.pingIntervalMs > 0 ? m.value.pingIntervalMs : 5_000;
        this.pingTimeoutMs = m.value.pingTimeoutMs > 0 ? m.value.pingTimeoutMs : 15_000;
        // Messages queued for the old session refer to its tracks and SDP: drop them.
        if (wasResuming) this.outbox.length = 0;
        this.dispatch({
          type: 'join_response',
          sessionId: m.value.sessionId,
          resumeSecret: m.value.resumeSecret,
        });
        this.startPing();
        this.flush();
        if (wasResuming) this.emit('rejoined', m.value);
        else {
          this.joinResolve?.(m.value);
          this.joinResolve = null;
          this.joinReject = null;
          this.emit('joined', m.value);
        }
        break;
      }
      case 'resumed':
        this.dispatch({ type: 'resumed', resumeSecret: m.value.resumeSecret });
        this.startPing();
        this.flush();
        this.emit('resumed', m.value);
        break;
      case 'tokenRefresh':
        if (m.value.token !== '') this.token = m.value.token;
        break;
      case 'pong':
        this.emit('rtt', Math.max(0, Date.now() - m.value.clientTimestampMs));
        break;
      case 'error':
        if (msg.requestId === 'join') {
          if (m.value.code === ErrorCode.ERROR_CODE_RESUME_FAILED) this.dispatch({ type: 'resume_failed' });
          else this.dispatch({ type: 'fatal', reason: joinFailure(m.value.code) });
        } else if (msg.requestId !== '') {
          this.pending.fail(msg.requestId, new SignalError(m.value.code, m.value.message));
        }
        break;
      default:
        break;
    }
    if (msg.requestId !== '' && m.$case !== 'error') this.pending.settle(msg.requestId, m);
    if (m.$case === 'roomEnded') {
      this.emit('message', m, msg.requestId);
      this.dispatch({ type: 'fatal', reason: 'room_ended' });
      return;
    }
    if (m.$case === 'leave') {
      this.emit('message', m, msg.requestId);
      // LEAVE_ACTION_RESUME: reconnect on a new socket; RECONNECT: join again from scratch; anything
      // else ends the session.
      if (m.value.action === 2) this.dropSocket();
      else if (m.value.action === 3) this.dispatch({ type: 'server_reconnect' });
      else this.dispatch({ type: 'fatal', reason: leaveReason(m.value.reason) });
      return;
    }
    this.emit('message', m, msg.requestId);
  }

  private flush(): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    for (const text of this.outbox.splice(0)) this.ws.send(text);
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (this.ws?.readyState !== WebSocket.OPEN) return;
      // No message at all for the timeout: the path is dead even if the socket looks open.
      if (Date.now() - this.lastMessageAt > this.pingTimeoutMs) {
        this.dropSocket();
        return;
      }
      this.ws.send(
        encodeRequest({ requestId: '', message: { $case: 'ping', value: { timestampMs: Date.now() } } }),
      );
    }, this.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}

function leaveReason(reason: DisconnectReason): CloseReason {
  switch (reason) {
    case DisconnectReason.DISCONNECT_REASON_REMOVED_BY_HOST:
      return 'removed';
    case DisconnectReason.DISCONNECT_REASON_DUPLICATE_IDENTITY:
      return 'duplicate';
    case DisconnectReason.DISCONNECT_REASON_SIGNED_OUT:
      return 'signed_out';
    default:
      return 'server';
  }
}

function joinFailure(code: ErrorCode): CloseReason {
  switch (code) {
    case ErrorCode.ERROR_CODE_UNAUTHENTICATED:
    case ErrorCode.ERROR_CODE_PERMISSION_DENIED:
      return 'unauthenticated';
    case ErrorCode.ERROR_CODE_ROOM_FULL:
      return 'room_full';
    case ErrorCode.ERROR_CODE_ROOM_ENDED:
      return 'room_ended';
    case ErrorCode.ERROR_CODE_REMOVED:
      return 'removed';
    case ErrorCode.ERROR_CODE_ROOM_LOCKED:
      return 'room_locked';
    default:
      return 'server';
  }
}
