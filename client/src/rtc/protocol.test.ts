import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SESSION_OPTIONS,
  PendingRequests,
  decodeResponse,
  encodeRequest,
  initialSession,
  retryDelay,
  transition,
  type SessionEvent,
  type SessionState,
} from './protocol.js';

const opts = { ...DEFAULT_SESSION_OPTIONS, random: () => 0.5, maxAttempts: 3 };

function run(events: SessionEvent[], from: SessionState = initialSession()) {
  let state = from;
  const effects = [];
  for (const e of events) {
    const r = transition(state, e, opts);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

describe('signaling session state machine', () => {
  it('joins with the token first and no resume', () => {
    const { state, effects } = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]);
    expect(effects).toEqual([{ type: 'open_socket' }, { type: 'send_join', resume: null }]);
    expect(state.phase).toBe('joined');
    expect(state.resume).toEqual({ sessionId: 's1', resumeSecret: 'r1' });
  });

  it('resumes the same session after the socket drops, then restarts ICE', () => {
    const joined = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]).state;
    const { state, effects } = run(
      [
        { type: 'socket_closed' },
        { type: 'retry_timer' },
        { type: 'socket_open' },
        { type: 'resumed', resumeSecret: 'r2' },
      ],
      joined,
    );
    expect(effects).toEqual([
      { type: 'schedule_retry', delayMs: 375 },
      { type: 'open_socket' },
      { type: 'send_join', resume: { sessionId: 's1', resumeSecret: 'r1' } },
      { type: 'restart_ice' },
    ]);
    expect(state.phase).toBe('joined');
    // The secret is rotated on every resume.
    expect(state.resume).toEqual({ sessionId: 's1', resumeSecret: 'r2' });
  });

  it('falls back to a fresh join when the resume is refused, and asks for a rebuild', () => {
    const joined = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]).state;
    const { state, effects } = run(
      [
        { type: 'socket_closed' },
        { type: 'retry_timer' },
        { type: 'socket_open' },
        { type: 'resume_failed' },
        { type: 'join_response', sessionId: 's2', resumeSecret: 'x' },
      ],
      joined,
    );
    expect(effects.slice(-2)).toEqual([{ type: 'send_join', resume: null }, { type: 'rejoin' }]);
    expect(state).toMatchObject({ phase: 'joined', needsRejoin: true, resume: { sessionId: 's2' } });
  });

  it('joins afresh when the server asks for a reconnect', () => {
    const joined = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]).state;
    const { state, effects } = run(
      [
        { type: 'server_reconnect' },
        { type: 'socket_open' },
        { type: 'join_response', sessionId: 's2', resumeSecret: 'r2' },
      ],
      joined,
    );
    expect(effects).toEqual([
      { type: 'close_socket_for_retry' },
      { type: 'open_socket' },
      { type: 'send_join', resume: null },
      { type: 'rejoin' },
    ]);
    expect(state).toMatchObject({ phase: 'joined', resume: { sessionId: 's2' } });
  });

  it('gives up the socket and resumes on a new one at once when the network changes in the room', () => {
    const joined = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]).state;
    const { state, effects } = run(
      [{ type: 'network_changed' }, { type: 'socket_open' }, { type: 'resumed', resumeSecret: 'r2' }],
      joined,
    );
    expect(effects).toEqual([
      { type: 'close_socket_for_retry' },
      { type: 'open_socket' },
      { type: 'send_join', resume: { sessionId: 's1', resumeSecret: 'r1' } },
      { type: 'restart_ice' },
    ]);
    expect(state).toMatchObject({ phase: 'joined', attempt: 0, needsRejoin: false });
  });

  it('retries at once when the network comes back during the backoff, keeping the attempt count', () => {
    const joined = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]).state;
    // The outage: the socket dropped and one retry failed; the next one waits a grown backoff.
    const waiting = run(
      [{ type: 'socket_closed' }, { type: 'retry_timer' }, { type: 'socket_closed' }],
      joined,
    );
    expect(waiting.effects.at(-1)).toEqual({ type: 'schedule_retry', delayMs: 750 });
    const back = run([{ type: 'network_changed' }], waiting.state);
    expect(back.effects).toEqual([{ type: 'open_socket' }]);
    expect(back.state).toMatchObject({ phase: 'reconnecting', attempt: 1 });
    // While a join or a resume is on its way there is nothing to hurry.
    const resuming = run([{ type: 'socket_open' }], back.state).state;
    expect(run([{ type: 'network_changed' }], resuming).effects).toEqual([]);
    expect(run([{ type: 'network_changed' }], initialSession()).effects).toEqual([]);
  });

  it('gives up after maxAttempts failed reconnects', () => {
    const joined = run([
      { type: 'start' },
      { type: 'socket_open' },
      { type: 'join_response', sessionId: 's1', resumeSecret: 'r1' },
    ]).state;
    const { state, effects } = run(
      [
        { type: 'socket_closed' },
        { type: 'retry_timer' },
        { type: 'socket_closed' },
        { type: 'retry_timer' },
        { type: 'socket_closed' },
        { type: 'retry_timer' },
        { type: 'socket_closed' },
      ],
      joined,
    );
    expect(state.phase).toBe('closed');
    expect(state.closeReason).toBe('gave_up');
    expect(effects.at(-1)).toEqual({ type: 'closed', reason: 'gave_up' });
  });

  it('ignores everything once closed (room ended)', () => {
    const closed = run([{ type: 'start' }, { type: 'fatal', reason: 'room_ended' }]).state;
    expect(closed.closeReason).toBe('room_ended');
    expect(
      run([{ type: 'socket_closed' }, { type: 'retry_timer' }, { type: 'start' }], closed).effects,
    ).toEqual([]);
  });

  it('backs off exponentially with a cap', () => {
    const o = { ...opts, random: () => 1 };
    expect([0, 1, 2, 3, 4, 5].map((a) => retryDelay(a, o))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(retryDelay(3, { ...opts, random: () => 0 })).toBe(2000);
  });
});

describe('wire codec', () => {
  it('encodes requests as proto3 JSON with lowerCamel names', () => {
    const text = encodeRequest({
      requestId: '7',
      message: { $case: 'join', value: { token: 't', resume: undefined } },
    });
    expect(JSON.parse(text)).toEqual({ requestId: '7', join: { token: 't' } });
    const trickle = encodeRequest({
      requestId: '',
      message: {
        $case: 'trickle',
        value: { target: 1, candidate: 'candidate:1', sdpMid: '0', sdpMlineIndex: 0 },
      },
    });
    expect(JSON.parse(trickle)).toEqual({
      trickle: { target: 'SIGNAL_TARGET_PUBLISHER', candidate: 'candidate:1', sdpMid: '0', sdpMlineIndex: 0 },
    });
  });

  it('decodes server messages and rejects junk', () => {
    const m = decodeResponse('{"requestId":"3","publisherAnswer":{"sdp":"v=0","id":2}}');
    expect(m?.message).toEqual({ $case: 'publisherAnswer', value: { sdp: 'v=0', id: 2 } });
    expect(decodeResponse('not json')).toBeUndefined();
    expect(decodeResponse('{"unknownThing":{}}')).toBeUndefined();
    expect(decodeResponse('null')).toBeUndefined();
  });
});

describe('pending requests', () => {
  it('settles by id and rejects the rest on close', async () => {
    const p = new PendingRequests<string>();
    const a = p.nextId();
    const b = p.nextId();
    expect(a).not.toBe(b);
    const wa = p.wait(a);
    const wb = p.wait(b);
    expect(p.settle(a, 'ok')).toBe(true);
    expect(p.settle(a, 'again')).toBe(false);
    p.rejectAll(new Error('closed'));
    await expect(wa).resolves.toBe('ok');
    await expect(wb).rejects.toThrow('closed');
    expect(p.size).toBe(0);
  });
});
