// The socket side of a resume, with a WebSocket double whose close handshake never completes, as over a
// network path that is gone: the client must not wait for it before it resumes on a new socket.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalClient } from './SignalClient.js';

type Json = Record<string, unknown>;

class DeadPathSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: DeadPathSocket[] = [];
  readyState = DeadPathSocket.CONNECTING;
  readonly sent: Json[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    DeadPathSocket.all.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Json);
  }

  /** Starts the close handshake; its end (onclose) needs the network, which this double never has. */
  close(code?: number): void {
    this.closedWith = code ?? 1005;
    this.readyState = DeadPathSocket.CLOSING;
  }

  open(): void {
    this.readyState = DeadPathSocket.OPEN;
    this.onopen?.();
  }

  /** A connection attempt the network refuses at once (no route while the link is down). */
  refuse(): void {
    this.readyState = DeadPathSocket.CLOSED;
    this.onclose?.();
  }

  receive(message: Json): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

const sockets = () => DeadPathSocket.all;
const last = () => DeadPathSocket.all.at(-1)!;

async function joined(): Promise<{ client: SignalClient; restarts: () => number; rejoins: () => number }> {
  const client = new SignalClient({
    url: 'ws://origo.test/ws',
    token: 'tok',
    WebSocketImpl: DeadPathSocket as unknown as typeof WebSocket,
    session: { random: () => 0.5 },
  });
  let restarts = 0;
  let rejoins = 0;
  client.on('restartIce', () => restarts++);
  client.on('rejoined', () => rejoins++);
  const done = client.connect();
  last().open();
  expect(last().sent[0]).toEqual({ requestId: 'join', join: { token: 'tok' } });
  last().receive({
    requestId: 'join',
    joinResponse: { sessionId: 's1', resumeSecret: 'r1', pingIntervalMs: 10_000, pingTimeoutMs: 30_000 },
  });
  await done;
  return { client, restarts: () => restarts, rejoins: () => rejoins };
}

/** The socket comes up and the server resumes the session on it. */
function resume(socket: DeadPathSocket): void {
  socket.open();
  expect(socket.sent[0]).toEqual({
    requestId: 'join',
    join: { token: 'tok', resume: { sessionId: 's1', resumeSecret: 'r1' } },
  });
  socket.receive({ requestId: 'join', resumed: { resumeSecret: 'r2' } });
}

beforeEach(() => {
  DeadPathSocket.all = [];
  vi.useFakeTimers();
  // SignalClient reads the readyState constants from the global WebSocket (Node 20 has none).
  vi.stubGlobal('WebSocket', DeadPathSocket);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('SignalClient over a network path that is gone', () => {
  it('resumes on a new socket after dropSocket without waiting for the old close handshake', async () => {
    const { client, restarts, rejoins } = await joined();
    client.dropSocket();
    expect(sockets()[0]!.closedWith).toBe(4000);
    expect(client.session.phase).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(500);
    expect(sockets()).toHaveLength(2);
    resume(last());
    expect(client.session.phase).toBe('joined');
    expect(restarts()).toBe(1);
    expect(rejoins()).toBe(0);
  });

  it('resumes at once on a network change, and retries at once when the network comes back', async () => {
    const { client, restarts } = await joined();
    // The link goes down: the browser reports a change; the new socket is refused, so is the retry.
    client.networkChanged();
    expect(sockets()).toHaveLength(2);
    expect(sockets()[0]!.closedWith).toBe(1000);
    last().refuse();
    await vi.advanceTimersByTimeAsync(750);
    expect(sockets()).toHaveLength(3);
    last().refuse();
    // The link is back before the grown backoff (1500 ms) ends: the next attempt starts now.
    client.networkChanged();
    expect(sockets()).toHaveLength(4);
    resume(last());
    expect(client.session).toMatchObject({ phase: 'joined', attempt: 0 });
    expect(restarts()).toBe(1);
    // The cancelled backoff does not open another socket later.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sockets()).toHaveLength(4);
  });

  it('gives up an attempt still connecting when the network changes again', async () => {
    const { client } = await joined();
    client.networkChanged();
    const stuck = last();
    client.networkChanged();
    expect(stuck.closedWith).toBe(1000);
    expect(sockets()).toHaveLength(3);
    resume(last());
    // A late open of the abandoned attempt changes nothing.
    stuck.open();
    expect(stuck.sent).toEqual([]);
    expect(client.session.phase).toBe('joined');
  });
});
