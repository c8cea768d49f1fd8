// The signaling session as a pure state machine, plus the wire codec. No DOM, no timers: SignalClient
// feeds it events and carries out the effects it returns, so the rules are unit-tested under node.
import { SignalRequest, SignalResponse } from '@origo/proto/signal';

export type SessionPhase =
  /** Not started. */
  | 'idle'
  /** First socket opening, then join sent, waiting for join_response. */
  | 'joining'
  /** In the room. */
  | 'joined'
  /** Socket lost; waiting before the next attempt. */
  | 'reconnecting'
  /** A new socket is open and a resume join was sent. */
  | 'resuming'
  /** Done for good (left, removed, room ended, or resume impossible). */
  | 'closed';

export interface ResumeCredentials {
  sessionId: string;
  resumeSecret: string;
}

export interface SessionState {
  phase: SessionPhase;
  resume: ResumeCredentials | null;
  /** Consecutive failed reconnect attempts since the last success. */
  attempt: number;
  /** Why the session closed, once closed. */
  closeReason: CloseReason | null;
  /** True once a reconnect succeeded with resume=false (peer connections must be rebuilt). */
  needsRejoin: boolean;
}

export type CloseReason =
  | 'left'
  | 'removed'
  | 'room_ended'
  /** The room ended because an administrator (not the host) ended it. */
  | 'admin_ended'
  /** The room ended because its meeting was cancelled. */
  | 'cancelled'
  /** An administrator ended every sign-in of this account (force sign-out, account disabled). */
  | 'signed_out'
  | 'unauthenticated'
  | 'resume_failed'
  | 'gave_up'
  | 'duplicate'
  | 'room_full'
  | 'room_locked'
  | 'server';

export type SessionEvent =
  | { type: 'start' }
  | { type: 'socket_open' }
  | { type: 'socket_closed' }
  | { type: 'join_response'; sessionId: string; resumeSecret: string }
  | { type: 'resumed'; resumeSecret: string }
  | { type: 'resume_failed' }
  | { type: 'retry_timer' }
  | { type: 'fatal'; reason: CloseReason }
  /** The server asked for a fresh join (LEAVE_ACTION_RECONNECT): the old session is gone. */
  | { type: 'server_reconnect' }
  /** The browser reports a network change (online, a new connection type): the socket's path may be gone. */
  | { type: 'network_changed' }
  | { type: 'leave' };

export type SessionEffect =
  | { type: 'open_socket' }
  | { type: 'send_join'; resume: ResumeCredentials | null }
  | { type: 'schedule_retry'; delayMs: number }
  | { type: 'close_socket' }
  /** Close the current socket without ending the session (a new one follows). */
  | { type: 'close_socket_for_retry' }
  | { type: 'restart_ice' }
  | { type: 'rejoin' }
  | { type: 'closed'; reason: CloseReason };

export interface SessionOptions {
  /** Attempts before giving up (the server's resume window is about this long in total). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0..1 random source for jitter (injected for tests). */
  random: () => number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  maxAttempts: 12,
  baseDelayMs: 500,
  maxDelayMs: 5_000,
  random: Math.random,
};

export function initialSession(): SessionState {
  return { phase: 'idle', resume: null, attempt: 0, closeReason: null, needsRejoin: false };
}

/** Exponential backoff with full jitter over the upper half: base * 2^attempt, capped. */
export function retryDelay(attempt: number, opts: SessionOptions): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * opts.random());
}

/** Applies one event; returns the next state and the effects to carry out, in order. */
export function transition(
  state: SessionState,
  event: SessionEvent,
  opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
): { state: SessionState; effects: SessionEffect[] } {
  const same = { state, effects: [] as SessionEffect[] };
  if (state.phase === 'closed') return same;
  switch (event.type) {
    case 'start':
      if (state.phase !== 'idle') return same;
      return { state: { ...state, phase: 'joining' }, effects: [{ type: 'open_socket' }] };
    case 'socket_open':
      if (state.phase === 'joining') return { state, effects: [{ type: 'send_join', resume: null }] };
      if (state.phase === 'reconnecting' || state.phase === 'resuming') {
        return {
          state: { ...state, phase: 'resuming' },
          effects: [{ type: 'send_join', resume: state.resume }],
        };
      }
      return same;
    case 'join_response': {
      const resume = { sessionId: event.sessionId, resumeSecret: event.resumeSecret };
      // A fresh join while resuming means the server started a new session: rebuild media.
      const rejoined = state.phase === 'resuming';
      return {
        state: { phase: 'joined', resume, attempt: 0, closeReason: null, needsRejoin: rejoined },
        effects: rejoined ? [{ type: 'rejoin' }] : [],
      };
    }
    case 'resumed':
      if (state.phase !== 'resuming' || state.resume === null) return same;
      return {
        state: {
          ...state,
          phase: 'joined',
          attempt: 0,
          resume: { sessionId: state.resume.sessionId, resumeSecret: event.resumeSecret },
        },
        // The network changed under us: the media paths may be dead even if the socket is back.
        effects: [{ type: 'restart_ice' }],
      };
    case 'resume_failed':
      // The old session is gone; a fresh join with the same token gets a new one.
      if (state.phase !== 'resuming') return same;
      return {
        state: { ...state, phase: 'resuming', resume: null },
        effects: [{ type: 'send_join', resume: null }],
      };
    case 'socket_closed': {
      if (state.phase === 'idle') return same;
      if (state.phase === 'joining') {
        return closeWith(state, 'server');
      }
      const attempt = state.phase === 'joined' ? 0 : state.attempt + 1;
      if (attempt >= opts.maxAttempts) return closeWith(state, 'gave_up');
      return {
        state: { ...state, phase: 'reconnecting', attempt },
        effects: [{ type: 'schedule_retry', delayMs: retryDelay(attempt, opts) }],
      };
    }
    case 'retry_timer':
      if (state.phase !== 'reconnecting') return same;
      return { state, effects: [{ type: 'open_socket' }] };
    case 'network_changed':
      // In the room: the socket may ride a path that no longer exists, and a close handshake over it would
      // wait for the network (or a minute); give it up and resume on a new one now. Waiting to retry: the
      // network is back, so try now instead of at the end of a backoff grown during the outage.
      if (state.phase === 'joined')
        return {
          state: { ...state, phase: 'reconnecting', attempt: 0 },
          effects: [{ type: 'close_socket_for_retry' }, { type: 'open_socket' }],
        };
      if (state.phase === 'reconnecting') return { state, effects: [{ type: 'open_socket' }] };
      return same;
    case 'fatal':
      return closeWith(state, event.reason);
    case 'server_reconnect':
      if (state.phase !== 'joined') return same;
      // Forget the resume credentials: the next socket joins fresh and media is rebuilt.
      return {
        state: { ...state, phase: 'resuming', resume: null },
        effects: [{ type: 'close_socket_for_retry' }, { type: 'open_socket' }],
      };
    case 'leave':
      return closeWith(state, 'left');
  }
}

function closeWith(
  state: SessionState,
  reason: CloseReason,
): { state: SessionState; effects: SessionEffect[] } {
  return {
    state: { ...state, phase: 'closed', closeReason: reason, resume: null },
    effects: [{ type: 'close_socket' }, { type: 'closed', reason }],
  };
}

/** Serialises a request to the proto3 JSON text of one WebSocket frame. */
export function encodeRequest(req: SignalRequest): string {
  return JSON.stringify(SignalRequest.toJSON(req));
}

/** Parses one server frame; undefined for anything that is not a SignalResponse with a message. */
export function decodeResponse(text: string): SignalResponse | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const msg = SignalResponse.fromJSON(json);
  return msg.message === undefined ? undefined : msg;
}

/** Request ids: unique per connection, and a pending map settled by the reply with the same id. */
export class PendingRequests<T> {
  private next = 1;
  private readonly pending = new Map<string, { resolve: (v: T) => void; reject: (e: Error) => void }>();

  nextId(): string {
    return String(this.next++);
  }

  wait(id: string): Promise<T> {
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Settles the request with this id, if any; returns whether one was pending. */
  settle(id: string, value: T): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    p.resolve(value);
    return true;
  }

  fail(id: string, error: Error): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    p.reject(error);
    return true;
  }

  rejectAll(error: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }

  get size(): number {
    return this.pending.size;
  }
}
