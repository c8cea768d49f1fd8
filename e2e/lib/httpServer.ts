// A tiny HTTP server for tests: JSON routes, static files, server-sent events; 127.0.0.1, port 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: unknown) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new RangeError('body too large');
    chunks.push(b);
  }
  if (size === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

/** Routes are matched by `METHOD /exact/path`; a handler for `GET /prefix/*` matches the prefix. */
export async function startTestServer(routes: Record<string, RouteHandler>): Promise<TestServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const key = `${req.method ?? 'GET'} ${path}`;
    let handler = routes[key];
    if (handler === undefined) {
      for (const [pattern, h] of Object.entries(routes)) {
        if (pattern.endsWith('*') && key.startsWith(pattern.slice(0, -1))) {
          handler = h;
          break;
        }
      }
    }
    if (handler === undefined) {
      sendJson(res, 404, { error: `no route ${key}` });
      return;
    }
    const h = handler;
    readJson(req)
      .then((body) => h(req, res, body))
      .catch((error: unknown) => {
        if (!res.headersSent)
          sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One server-sent-events stream; `send` is a no-op once the client went away. */
export class EventStream {
  private res: ServerResponse | null;
  private readonly backlog: string[] = [];

  constructor() {
    this.res = null;
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(':ok\n\n');
    this.res = res;
    res.on('close', () => {
      if (this.res === res) this.res = null;
    });
    for (const line of this.backlog.splice(0)) res.write(line);
  }

  send(event: string, data: unknown): void {
    const line = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (this.res === null) this.backlog.push(line);
    else this.res.write(line);
  }

  close(): void {
    this.res?.end();
    this.res = null;
  }
}
