// A signaling client for tests: a `ws` WebSocket speaking the JSON protocol, with helpers to wait for
// a server message or the close of the socket.
import WebSocket from 'ws';

export type Json = Record<string, unknown>;

export interface Closed {
  code: number;
  reason: string;
}

export class SignalClient {
  readonly ws: WebSocket;
  readonly received: Json[] = [];
  private readonly waiters: Array<{ match: (m: Json) => boolean; resolve: (m: Json) => void }> = [];
  readonly closed: Promise<Closed>;
  private seq = 0;
  private readonly listeners: Array<(m: Json) => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Json;
      this.received.push(message);
      for (const l of this.listeners) l(message);
      for (const w of [...this.waiters]) {
        if (w.match(message)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(message);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    ws.on('error', () => undefined);
  }

  static open(url: string): Promise<SignalClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new SignalClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Calls `fn` for every message received from now on. */
  onMessage(fn: (m: Json) => void): void {
    this.listeners.push(fn);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  send(message: Json): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Waits for the first message (already received or future) that matches. */
  next(match: (m: Json) => boolean, timeoutMs = 20_000, what = 'message'): Promise<Json> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return this.waitNew(match, timeoutMs, what);
  }

  /** Waits for a matching message received from now on. */
  waitNew(match: (m: Json) => boolean, timeoutMs = 20_000, what = 'message'): Promise<Json> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(
          new Error(
            `timed out waiting for ${what}; last received: ${JSON.stringify(this.received.slice(-3))}`,
          ),
        );
      }, timeoutMs);
      const done = (m: Json): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Sends a request with a fresh requestId and waits for the reply carrying it. */
  request(body: Json, timeoutMs = 20_000): Promise<Json> {
    const requestId = `r${++this.seq}`;
    const reply = this.waitNew(
      (m) => m['requestId'] === requestId,
      timeoutMs,
      `reply to ${Object.keys(body).join(',')}`,
    );
    this.send({ requestId, ...body });
    return reply;
  }

  /** Pings every `intervalMs`, as the web client does, so the socket outlives the server's idle timeout. */
  keepAlive(intervalMs = 5000): () => void {
    const timer = setInterval(() => {
      if (this.isOpen) this.send({ ping: { timestampMs: String(Date.now()) } });
    }, intervalMs);
    return () => clearInterval(timer);
  }

  async ping(): Promise<Json> {
    const reply = await this.request({ ping: { timestampMs: String(Date.now()) } });
    if (!('pong' in reply)) throw new Error(`expected pong, got ${JSON.stringify(reply)}`);
    return reply;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  /** Drops the TCP connection without a close handshake (a lost network). */
  kill(): void {
    this.ws.terminate();
  }
}

export const has =
  (key: string) =>
  (m: Json): boolean =>
    key in m;
