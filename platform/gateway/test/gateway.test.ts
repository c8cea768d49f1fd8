import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createHttpService, createLogger, createMetrics, type HttpService } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { freePort } from '@origo/kit/testing';
import { createGateway, type Gateway, type GatewaySettings } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL;
const silent = createLogger({ service: 'test', level: 'silent' });

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real kit HTTP service that records what reached it and echoes it back. */
async function echoUpstream(name: string): Promise<{ url: string; seen: Seen[]; service: HttpService }> {
  const service = createHttpService({
    service: name,
    logger: silent,
    metrics: createMetrics(name, { defaultMetrics: false }),
  });
  const seen: Seen[] = [];
  service.app.removeAllContentTypeParsers();
  service.app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  service.app.all('/*', async (request, reply) => {
    const record = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: typeof request.body === 'string' ? request.body : '',
    };
    seen.push(record);
    void reply.header('x-upstream', name);
    void reply.header('set-cookie', 'a=b; Path=/; HttpOnly');
    return {
      upstream: name,
      method: record.method,
      url: record.url,
      body: record.body,
      request_id: request.headers['x-request-id'],
    };
  });
  const { url } = await service.listen(0);
  return { url, seen, service };
}

/** A real WebSocket server (ws) standing in for signaling: echoes messages, reports handshake headers. */
async function wsUpstream(): Promise<{
  url: string;
  handshakes: http.IncomingHttpHeaders[];
  paths: string[];
  /** Sizes of the messages that reached the server. */
  received: number[];
  /** Close codes the server saw. */
  closes: number[];
  close: () => Promise<void>;
}> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 });
  const handshakes: http.IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const received: number[] = [];
  const closes: number[] = [];
  wss.on('connection', (socket, request) => {
    handshakes.push(request.headers);
    paths.push(request.url ?? '');
    socket.on('message', (data) => {
      received.push(Buffer.isBuffer(data) ? data.length : 0);
      socket.send(`echo:${data.toString()}`);
    });
    socket.on('close', (code) => closes.push(code));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    handshakes,
    paths,
    received,
    closes,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => server.close(() => resolve()));
      }),
  };
}

interface Setup {
  gateway: Gateway;
  url: string;
  auth: Awaited<ReturnType<typeof echoUpstream>>;
  control: Awaited<ReturnType<typeof echoUpstream>>;
  notification: Awaited<ReturnType<typeof echoUpstream>>;
  chat: Awaited<ReturnType<typeof echoUpstream>>;
  recording: Awaited<ReturnType<typeof echoUpstream>>;
  billing: Awaited<ReturnType<typeof echoUpstream>>;
  signaling: Awaited<ReturnType<typeof wsUpstream>>;
  busKv: BusKv;
  close(): Promise<void>;
}

async function setup(settings: Partial<GatewaySettings> = {}, port = 0): Promise<Setup> {
  const [auth, control, notification, chat, recording, billing, signaling] = await Promise.all([
    echoUpstream('auth'),
    echoUpstream('control'),
    echoUpstream('notification'),
    echoUpstream('chat'),
    echoUpstream('recording'),
    echoUpstream('billing'),
    wsUpstream(),
  ]);
  const busKv = await createBusKv({
    redisUrl: REDIS_URL,
    namespace: `gwtest${randomBytes(4).toString('hex')}:`,
  });
  const gateway = createGateway({
    // One upstream is looked up lazily, as the AddressBook does in single-machine mode.
    upstreams: {
      auth: auth.url,
      control: async () => control.url,
      signaling: signaling.url,
      notification: notification.url,
      chat: chat.url,
      recording: recording.url,
      billing: billing.url,
    },
    kv: busKv.kv,
    logger: silent,
    settings: { rateLimitPerIp: 10_000, rateLimitPerUser: 10_000, ...settings },
  });
  const { url } = await gateway.listen(port, '127.0.0.1');
  return {
    gateway,
    url,
    auth,
    control,
    notification,
    chat,
    recording,
    billing,
    signaling,
    busKv,
    async close() {
      await gateway.close();
      await Promise.all([
        auth.service.close(),
        control.service.close(),
        notification.service.close(),
        chat.service.close(),
        recording.service.close(),
        billing.service.close(),
        signaling.close(),
      ]);
      await busKv.close();
    },
  };
}

describe('gateway routing and headers', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ corsOrigins: ['https://app.example.org'], bodyLimitBytes: 4096 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it.each([
    ['/api/auth/sign-in', 'auth'],
    ['/api/orgs/org_1/members', 'auth'],
    ['/api/admin/users', 'auth'],
    ['/.well-known/jwks.json', 'auth'],
    ['/api/meetings', 'control'],
    ['/api/meetings/mtg_1/join?x=1', 'control'],
    ['/api/audit?org_id=o', 'control'],
    ['/api/presence?org_id=o', 'control'],
    ['/api/presence/heartbeat', 'control'],
    ['/api/live-rooms?org_id=o', 'control'],
    ['/api/docs', 'control'],
    ['/api/docs/openapi.json', 'control'],
    ['/api/notifications/preferences', 'notification'],
    ['/api/notifications/unsubscribe?token=abc.def', 'notification'],
    ['/api/admin/outbox?limit=2', 'notification'],
    ['/api/admin/outboxes', 'auth'],
    ['/api/chat/meetings/mtg_1/messages?before_seq=9', 'chat'],
    ['/api/meetings/mtg_1/recordings', 'recording'],
    ['/api/recordings/rec_1/file', 'recording'],
    ['/api/meetings/mtg_1/recordingsx', 'control'],
    ['/api/meetings/mtg_1', 'control'],
    ['/api/billing/orgs/org_1/usage?from=2026-11-01', 'billing'],
  ])('routes %s to %s with path and query intact', async (path, upstream) => {
    const response = await fetch(`${s.url}${path}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { upstream: string; url: string };
    expect(body.upstream).toBe(upstream);
    expect(body.url).toBe(path);
    expect(response.headers.get('x-upstream')).toBe(upstream);
    expect(response.headers.get('set-cookie')).toBe('a=b; Path=/; HttpOnly');
  });

  it('answers unknown API paths with a 404 problem and does not forward them', async () => {
    const before = s.auth.seen.length + s.control.seen.length;
    const response = await fetch(`${s.url}/api/nothing-here?x=1`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ detail: 'No API at GET /api/nothing-here' });
    expect(s.auth.seen.length + s.control.seen.length).toBe(before);
  });

  it.each([
    ['/api/meetings?org_id=%00', 'org_id'],
    ['/api/audit?org_id=o&entity_id=a%00b', 'entity_id'],
    ['/api/orgs/org_1/members?q=%1B', 'q'],
    ['/api/meetings/%00', 'path'],
  ])('refuses control characters in %s with 400 problem+json, without forwarding', async (path, field) => {
    const before = s.auth.seen.length + s.control.seen.length;
    const response = await fetch(`${s.url}${path}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as { errors: Array<{ field: string }> };
    expect(body.errors.map((e) => e.field)).toEqual([field]);
    expect(s.auth.seen.length + s.control.seen.length).toBe(before);
  });

  it('forwards a caller request id and returns it', async () => {
    const response = await fetch(`${s.url}/api/meetings`, { headers: { 'x-request-id': 'req-abc-123' } });
    const body = (await response.json()) as { request_id: string };
    expect(body.request_id).toBe('req-abc-123');
    expect(response.headers.get('x-request-id')).toBe('req-abc-123');
  });

  it('generates a request id when there is none and forwards the same one', async () => {
    const response = await fetch(`${s.url}/api/meetings`);
    const body = (await response.json()) as { request_id: string };
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(body.request_id);
  });

  it('forwards method, body and forwarding headers, and drops hop-by-hop headers', async () => {
    // node:http rather than fetch, which refuses to send a Connection header.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${s.url}/api/meetings?a=1`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer abc',
            'idempotency-key': 'k1',
            'x-custom': 'drop-me',
            connection: 'keep-alive, x-custom',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ title: 'hello' }));
    });
    expect(status).toBe(200);
    const seen = s.control.seen.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(JSON.parse(seen.body)).toEqual({ title: 'hello' });
    expect(seen.headers['authorization']).toBe('Bearer abc');
    expect(seen.headers['idempotency-key']).toBe('k1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(s.url).host);
    expect(seen.headers['x-custom']).toBeUndefined();
  });

  it('refuses a body over the limit with 413 problem+json, declared or chunked, without forwarding', async () => {
    const before = s.control.seen.length;
    const declared = await fetch(`${s.url}/api/meetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(5000),
    });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('content-type')).toContain('application/problem+json');
    expect(((await declared.json()) as { status: number }).status).toBe(413);

    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${s.url}/api/meetings`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('y'.repeat(1000));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(s.control.seen.length).toBe(before);
  });

  it('sets security headers on the page, on API responses and on errors', async () => {
    for (const path of ['/', '/api/meetings', '/api/nothing-here', '/health/live']) {
      const response = await fetch(`${s.url}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain(`ws://${new URL(s.url).host}`);
      expect(csp, path).toContain('media-src');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      // Plain HTTP without HSTS configured: no Strict-Transport-Security.
      expect(response.headers.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('serves the placeholder page at / and client routes while no client build exists', async () => {
    for (const path of ['/', '/join/mtg_x']) {
      const response = await fetch(`${s.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const text = await response.text();
      expect(text).toContain('Origo is running');
      expect(text).toContain('/api/docs');
      expect(text).toContain('/health/ready');
    }
    expect((await fetch(`${s.url}/missing.js`)).status).toBe(404);
  });

  it('answers an allow-listed CORS preflight and refuses others', async () => {
    const allowed = await fetch(`${s.url}/api/meetings`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.org',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('idempotency-key');

    const refused = await fetch(`${s.url}/api/meetings`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds CORS headers to responses for allow-listed origins only', async () => {
    const allowed = await fetch(`${s.url}/api/meetings`, { headers: { origin: 'https://app.example.org' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    const other = await fetch(`${s.url}/api/meetings`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const same = await fetch(`${s.url}/api/meetings`);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reports ready when every upstream answers', async () => {
    const response = await fetch(`${s.url}/health/ready`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { checks: Record<string, string> }).checks).toEqual({
      auth: 'ok',
      control: 'ok',
      signaling: 'ok',
    });
  });
});

describe('gateway on a laptop, opened through another loopback name', () => {
  let s: Setup;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    s = await setup({ publicUrl: `http://localhost:${port}` }, port);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** A request with the Host header a browser sends for `host`. */
  const get = (host: string, path: string) =>
    new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      });
      req.on('error', reject);
      req.end();
    });

  it('moves a page opened as 127.0.0.1 to the localhost address links use, path and query kept', async () => {
    expect(await get(`127.0.0.1:${port}`, '/join/mtg_x?invite=abc')).toEqual({
      status: 308,
      location: `http://localhost:${port}/join/mtg_x?invite=abc`,
    });
    expect((await get(`[::1]:${port}`, '/')).location).toBe(`http://localhost:${port}/`);
  });

  it('leaves the public address, API calls, probes and other hosts alone', async () => {
    expect((await get(`localhost:${port}`, '/join/mtg_x')).status).toBe(200);
    expect((await get(`127.0.0.1:${port}`, '/api/meetings')).status).toBe(200);
    expect((await get(`127.0.0.1:${port}`, '/health/live')).status).toBe(200);
    // Another port (a forwarded one) or a name that is not loopback: not ours to second-guess.
    expect((await get('127.0.0.1:9', '/')).status).toBe(200);
    expect((await get(`meet.example.org:${port}`, '/')).status).toBe(200);
  });
});

describe('gateway WebSocket proxy', () => {
  let s: Setup;
  beforeAll(async () => {
    // Below the stand-in server's own 64 KiB limit, so a 1009 here can only come from the gateway.
    s = await setup({ corsOrigins: ['https://app.example.org'], wsMaxMessageBytes: 16 * 1024 });
  });
  afterAll(async () => {
    await s?.close();
  });

  const open = (url: string, headers: Record<string, string> = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });

  it('tunnels /ws to the signaling WebSocket server both ways', async () => {
    const wsUrl = s.url.replace('http://', 'ws://');
    const socket = await open(`${wsUrl}/ws`, { 'x-request-id': 'ws-req-1', origin: s.url });
    const reply = new Promise<string>((resolve) =>
      socket.once('message', (data) => resolve(data.toString())),
    );
    socket.send('hello');
    expect(await reply).toBe('echo:hello');
    // A second message on the same socket also goes through.
    const second = new Promise<string>((resolve) =>
      socket.once('message', (data) => resolve(data.toString())),
    );
    socket.send('again');
    expect(await second).toBe('echo:again');
    socket.close();
    const headers = s.signaling.handshakes.at(-1)!;
    expect(headers['x-request-id']).toBe('ws-req-1');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(s.signaling.paths.at(-1)).toBe('/ws');
  });

  it('refuses a cross-site WebSocket handshake (403) and other upgrade paths (404)', async () => {
    const wsUrl = s.url.replace('http://', 'ws://');
    await expect(open(`${wsUrl}/ws`, { origin: 'https://evil.example.com' })).rejects.toThrow('HTTP 403');
    await expect(open(`${wsUrl}/not-ws`)).rejects.toThrow('HTTP 404');
    // An allow-listed origin may connect.
    const ok = await open(`${wsUrl}/ws`, { origin: 'https://app.example.org' });
    ok.close();
  });

  /** Resolves with the close code and reason the client saw. */
  const closed = (socket: WebSocket) =>
    new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

  it('closes a client message above the limit with 1009 before any of it reaches signaling', async () => {
    const wsUrl = s.url.replace('http://', 'ws://');
    const limit = s.gateway.settings.wsMaxMessageBytes;
    const received = s.signaling.received.length;

    // At the limit: relayed and answered.
    const ok = await open(`${wsUrl}/ws`, { origin: s.url });
    const echo = new Promise<string>((resolve) => ok.once('message', (data) => resolve(data.toString())));
    ok.send('x'.repeat(limit));
    expect((await echo).length).toBe('echo:'.length + limit);
    ok.close();

    // One byte more in one frame, then in two fragments: 1009 from the gateway, nothing relayed.
    for (const fragments of [1, 2]) {
      const socket = await open(`${wsUrl}/ws`, { origin: s.url });
      const outcome = closed(socket);
      const size = limit + 1;
      if (fragments === 1) socket.send(Buffer.alloc(size, 0x61), { binary: false });
      else {
        socket.send(Buffer.alloc(Math.ceil(size / 2), 0x61), { binary: false, fin: false });
        socket.send(Buffer.alloc(Math.floor(size / 2), 0x61), { binary: false, fin: true });
      }
      expect(await outcome).toEqual({ code: 1009, reason: 'message too big' });
    }
    await expect.poll(() => s.signaling.closes.filter((c) => c === 1009).length).toBe(2);
    expect(s.signaling.received.length).toBe(received + 1);
  });

  it('tells connected clients it is going away (1001) when it stops', async () => {
    const own = await setup();
    try {
      const socket = await open(`${own.url.replace('http://', 'ws://')}/ws`, { origin: own.url });
      const echo = new Promise<string>((resolve) =>
        socket.once('message', (data) => resolve(data.toString())),
      );
      socket.send('before');
      expect(await echo).toBe('echo:before');
      const outcome = closed(socket);
      await own.gateway.close();
      expect(await outcome).toEqual({ code: 1001, reason: 'server shutting down' });
      await expect.poll(() => own.signaling.closes).toEqual([1001]);
    } finally {
      await own.close();
    }
  });

  it('answers a plain GET /ws with a problem', async () => {
    const response = await fetch(`${s.url}/ws`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('gateway rate limits', () => {
  it('limits per IP with 429 problem+json and Retry-After', async () => {
    const s = await setup({ rateLimitPerIp: 3, rateLimitWindowMs: 30_000 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${s.url}/api/meetings`)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await fetch(`${s.url}/api/meetings`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toContain('application/problem+json');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
      const problem = (await limited.json()) as { status: number; reason: string };
      expect(problem.status).toBe(429);
      expect(problem.reason).toBe('rate_limited');
      // The WebSocket handshake counts against the same address.
      const wsStatus = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`${s.url.replace('http://', 'ws://')}/ws`);
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => resolve(101));
        socket.once('error', () => undefined);
      });
      expect(wsStatus).toBe(429);
      // Static pages are not API calls and stay reachable.
      expect((await fetch(`${s.url}/`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('limits per credential (Bearer token or session cookie) independently', async () => {
    const s = await setup({ rateLimitPerIp: 1000, rateLimitPerUser: 2, rateLimitWindowMs: 30_000 });
    try {
      const as = (headers: Record<string, string>) =>
        fetch(`${s.url}/api/meetings`, { headers }).then((r) => r.status);
      const alice = { authorization: 'Bearer token-alice' };
      const bob = { authorization: 'Bearer token-bob' };
      const carol = { cookie: 'theme=dark; origo_session=session-carol' };
      expect([await as(alice), await as(alice), await as(alice)]).toEqual([200, 200, 429]);
      expect([await as(bob), await as(bob)]).toEqual([200, 200]);
      expect([await as(carol), await as(carol), await as(carol)]).toEqual([200, 200, 429]);
      // Anonymous calls only count against the address.
      expect(await as({})).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('gateway behind TLS, static client and failing upstreams', () => {
  it('sends HSTS and a wss-only CSP when the proxy in front says https', async () => {
    const s = await setup({ trustProxy: true });
    try {
      const response = await fetch(`${s.url}/`, {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'meet.example.org' },
      });
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain('wss://meet.example.org');
      expect(csp).not.toContain('ws://meet.example.org');
      const api = await fetch(`${s.url}/api/meetings`, {
        headers: {
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'meet.example.org',
          'x-forwarded-for': '203.0.113.9',
        },
      });
      await api.text();
      const seen = s.control.seen.at(-1)!;
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      expect(seen.headers['x-forwarded-host']).toBe('meet.example.org');
      expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    } finally {
      await s.close();
    }
  });

  it('serves the client build with SPA fallback, long-lived assets and no path traversal', async () => {
    const root = await mkdtemp(join(tmpdir(), 'origo-client-'));
    const dist = join(root, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(root, 'secret.txt'), 'top secret');
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Origo app</title>');
    await writeFile(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
    const s = await setup({ clientDist: dist });
    try {
      const index = await fetch(`${s.url}/`);
      expect(await index.text()).toContain('Origo app');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const route = await fetch(`${s.url}/meetings/mtg_123`);
      expect(route.status).toBe(200);
      expect(await route.text()).toContain('Origo app');
      const asset = await fetch(`${s.url}/assets/app-abc123.js`);
      expect(asset.headers.get('content-type')).toContain('text/javascript');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${s.url}/assets/missing.js`)).status).toBe(404);
      // No icon, and no 404 for the one browsers ask for on pages that name none.
      const icon = await fetch(`${s.url}/favicon.ico`);
      expect(icon.status).toBe(204);
      expect(await icon.text()).toBe('');
      for (const path of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt']) {
        const traversal = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          http
            .get(`${s.url}${path}`, (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            })
            .on('error', reject);
        });
        expect(traversal.body, path).not.toContain('top secret');
        expect(traversal.status, path).toBe(404);
      }
    } finally {
      await s.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('serves the placeholder while the client folder holds no build', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'origo-client-empty-'));
    const s = await setup({ clientDist: empty });
    try {
      const response = await fetch(`${s.url}/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Origo is running');
      // A build that appears later is served without a restart.
      await writeFile(join(empty, 'index.html'), '<!doctype html><title>Built later</title>');
      expect(await (await fetch(`${s.url}/`)).text()).toContain('Built later');
    } finally {
      await s.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('answers 503 problem when an upstream is down, and /health/ready says which', async () => {
    const s = await setup();
    try {
      await s.control.service.close();
      const response = await fetch(`${s.url}/api/meetings`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const ready = await fetch(`${s.url}/health/ready`);
      expect(ready.status).toBe(503);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      expect(checks['auth']).toBe('ok');
      expect(checks['control']).not.toBe('ok');
    } finally {
      await s.close();
    }
  });
});
