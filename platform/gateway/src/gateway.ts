import * as net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  ErrorCode,
  acceptRequestId,
  createHttpService,
  createLogger,
  createMetrics,
  injectContext,
  sendProblem,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import type { Kv } from '@origo/kit/bus';
import { SESSION_COOKIE } from '@origo/auth/client';
import { defaultGatewaySettings, type GatewaySettings } from './config.js';
import { forward, forwardableHeaders, tunnelUpgrade, type UpgradeTunnel } from './proxy.js';
import { CLOSE_CODE } from './ws-frames.js';
import { RateLimiter, credentialBucket, type LimitResult } from './rate-limit.js';
import {
  CORS_ALLOWED_HEADERS,
  CORS_METHODS,
  applyCors,
  applySecurityHeaders,
  isHttps,
  originAllowed,
  requestHost,
} from './security.js';
import { PLACEHOLDER_PAGE, hasClientBuild, loadStatic } from './static.js';
import { requireSuperadmin, systemHealthProbe } from './system-health.js';

/** Where an upstream is: a fixed URL (distributed mode) or a lookup that waits for it (AddressBook). */
export type UpstreamSource = string | (() => Promise<string>);

export interface GatewayUpstreams {
  /** auth HTTP base URL (`auth.http`, AUTH_URL). */
  auth: UpstreamSource;
  /** control HTTP base URL (`control.http`, CONTROL_URL). */
  control: UpstreamSource;
  /** signaling WebSocket listener (`signaling.ws` / `signaling.http`, SIGNALING_URL); http(s) or ws(s). */
  signaling: UpstreamSource;
  /** notification HTTP base URL (`notification.http`, NOTIFICATION_URL). */
  notification: UpstreamSource;
  /** chat HTTP base URL (`chat.http`, CHAT_URL). */
  chat: UpstreamSource;
  /** recording HTTP base URL (`recording.http`, RECORDING_URL). */
  recording: UpstreamSource;
  /** billing HTTP base URL (`billing.http`, BILLING_URL). */
  billing: UpstreamSource;
}

export interface GatewayDeps {
  upstreams: GatewayUpstreams;
  /** Rate-limit counters: the kit kv (memory, or Redis when REDIS_URL is set). */
  kv: Kv;
  settings?: Partial<GatewaySettings>;
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** gRPC addresses of the SFU workers, for the system health view; none listed when absent. */
  sfuWorkers?: () => Promise<string[]>;
}

export interface Gateway {
  app: FastifyInstance;
  http: HttpService;
  settings: GatewaySettings;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  setDraining(): void;
  close(): Promise<void>;
}

type UpstreamName = keyof GatewayUpstreams;

/** Which service answers a path; null for paths the gateway answers itself. */
export function routeFor(path: string): UpstreamName | null {
  const p = path.split('?')[0] ?? path;
  const under = (prefix: string) => p === prefix || p.startsWith(`${prefix}/`);
  // The admin outbox belongs to notification, the rest of /api/admin to auth: most specific first.
  if (under('/api/notifications') || under('/api/admin/outbox')) return 'notification';
  if (under('/api/chat')) return 'chat';
  // A meeting's recordings belong to recording, the rest of /api/meetings to control.
  if (under('/api/recordings') || /^\/api\/meetings\/[^/]+\/recordings(\/|$)/.test(p)) return 'recording';
  if (under('/api/billing')) return 'billing';
  if (under('/api/auth') || under('/api/orgs') || under('/api/admin') || p.startsWith('/.well-known/'))
    return 'auth';
  if (
    under('/api/meetings') ||
    under('/api/audit') ||
    under('/api/presence') ||
    under('/api/live-rooms') ||
    under('/api/docs')
  )
    return 'control';
  return null;
}

const READINESS_TIMEOUT_MS = 2000;
/** How long open WebSocket tunnels get to finish their close handshake when the gateway stops. */
const TUNNEL_CLOSE_GRACE_MS = 2000;

export function createGateway(deps: GatewayDeps): Gateway {
  const settings = defaultGatewaySettings(deps.settings);
  const logger = deps.logger ?? createLogger({ service: 'gateway' });
  const metrics = deps.metrics ?? createMetrics('gateway', { defaultMetrics: false });
  const limiter = new RateLimiter(deps.kv, settings.rateLimitWindowMs);

  const resolveUpstream = async (name: UpstreamName): Promise<URL> => {
    const source = deps.upstreams[name];
    const value = typeof source === 'string' ? source : await source();
    return new URL(value);
  };

  const http = createHttpService({
    service: 'gateway',
    logger,
    metrics,
    bodyLimit: settings.bodyLimitBytes,
    trustProxy: settings.trustProxy,
    readinessTimeoutMs: READINESS_TIMEOUT_MS,
    readiness: [
      { name: 'auth', check: () => httpAlive('auth') },
      { name: 'control', check: () => httpAlive('control') },
      { name: 'signaling', check: () => tcpAlive('signaling') },
      // Not notification: while it is down only preferences fail, and mail waits in the producers'
      // relay tables; taking the whole entry point out of rotation for it would be worse.
    ],
  });
  const app = http.app;

  async function httpAlive(name: UpstreamName): Promise<void> {
    const base = await resolveUpstream(name);
    const response = await fetch(new URL('/health/live', base), {
      signal: AbortSignal.timeout(READINESS_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${name} answered HTTP ${response.status}`);
  }

  async function tcpAlive(name: UpstreamName): Promise<void> {
    const target = await resolveUpstream(name);
    const secure = target.protocol === 'https:' || target.protocol === 'wss:';
    const port = Number(target.port || (secure ? 443 : 80));
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: target.hostname, port });
      socket.setTimeout(READINESS_TIMEOUT_MS, () =>
        socket.destroy(new Error(`${name} did not accept a connection`)),
      );
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
  }

  const clientAddress = (request: FastifyRequest | IncomingMessage): string => {
    if ('ip' in request) return request.ip;
    if (settings.trustProxy) {
      const xff = request.headers['x-forwarded-for'];
      const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return request.socket.remoteAddress ?? 'unknown';
  };

  const credentialOf = (headers: IncomingMessage['headers']): string | undefined => {
    const authorization = headers.authorization;
    if (typeof authorization === 'string' && /^Bearer\s+\S+/i.test(authorization))
      return authorization.replace(/^Bearer\s+/i, '');
    const cookie = headers.cookie;
    if (typeof cookie === 'string') {
      for (const part of cookie.split(';')) {
        const eq = part.indexOf('=');
        if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
      }
    }
    return undefined;
  };

  /** Per-IP, then per-credential limit; returns the tightest result, or the one that refused. */
  async function rateLimit(ip: string, credential: string | undefined): Promise<LimitResult> {
    const byIp = await limiter.hit(`ip:${ip}`, settings.rateLimitPerIp);
    if (!byIp.allowed || credential === undefined) return byIp;
    const byUser = await limiter.hit(`user:${credentialBucket(credential)}`, settings.rateLimitPerUser);
    return !byUser.allowed || byUser.remaining < byIp.remaining ? byUser : byIp;
  }

  const tooMany = (reply: FastifyReply, request: FastifyRequest, result: LimitResult) => {
    void reply.header('retry-after', String(result.resetSeconds));
    return sendProblem(
      reply,
      new AppError(ErrorCode.RESOURCE_EXHAUSTED, 'Too many requests; slow down', { reason: 'rate_limited' }),
      request,
    );
  };

  const canonical = loopbackCanonical(settings.publicUrl);

  // Limits, CORS preflight and early body-size refusal, before any body is read.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    // A page opened as 127.0.0.1 when links say localhost (or the reverse): moved to the one origin whose
    // cookie and same-origin checks sign-in uses. Pages only; API calls keep their answer.
    if (canonical !== null && (request.method === 'GET' || request.method === 'HEAD') && isPagePath(path)) {
      const target = canonical.redirectFor(request.headers.host);
      if (target !== null) return reply.code(308).header('location', `${target}${request.url}`).send();
    }
    const limited = path.startsWith('/api/') || path.startsWith('/.well-known/');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      if (!applyCors(request, reply, settings.corsOrigins)) {
        return sendProblem(
          reply,
          new AppError(ErrorCode.PERMISSION_DENIED, 'Origin not allowed', { reason: 'cors_origin_refused' }),
          request,
        );
      }
      void reply.header('access-control-allow-methods', CORS_METHODS);
      void reply.header('access-control-allow-headers', CORS_ALLOWED_HEADERS);
      void reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
    applyCors(request, reply, settings.corsOrigins);
    if (limited) {
      const result = await rateLimit(clientAddress(request), credentialOf(request.headers));
      void reply.header('ratelimit-limit', String(result.limit));
      void reply.header('ratelimit-remaining', String(result.remaining));
      void reply.header('ratelimit-reset', String(result.resetSeconds));
      if (!result.allowed) return tooMany(reply, request, result);
    }
    const length = Number(request.headers['content-length'] ?? '0');
    if (Number.isFinite(length) && length > settings.bodyLimitBytes) return payloadTooLarge(reply, request);
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    applySecurityHeaders(request, reply, { trustProxy: settings.trustProxy, hsts: settings.hsts });
    return payload;
  });

  function payloadTooLarge(reply: FastifyReply, request: FastifyRequest): FastifyReply {
    const doc = {
      type: 'https://origo.dev/problems/payload-too-large',
      title: 'Content too large',
      status: 413,
      detail: `The request body is larger than ${settings.bodyLimitBytes} bytes`,
      code: ErrorCode.RESOURCE_EXHAUSTED,
      reason: 'body_too_large',
      instance: request.url.split('?')[0] ?? request.url,
      request_id: request.id,
    };
    void reply.header('connection', 'close');
    return reply.code(413).type('application/problem+json').send(doc);
  }

  async function proxy(
    name: UpstreamName,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const target = await resolveUpstream(name);
    const headers = forwardableHeaders(request.headers);
    const priorXff = request.headers['x-forwarded-for'];
    headers['x-forwarded-for'] =
      settings.trustProxy && typeof priorXff === 'string' && priorXff !== ''
        ? `${priorXff}, ${request.socket.remoteAddress ?? ''}`
        : request.ip;
    headers['x-forwarded-proto'] = isHttps(request, settings.trustProxy) ? 'https' : 'http';
    headers['x-forwarded-host'] = requestHost(request, settings.trustProxy);
    headers['x-request-id'] = request.id;
    Object.assign(headers, injectContext());
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const prefix = target.pathname.replace(/\/+$/, '');
    const upstream = await forward({
      target,
      method: request.method,
      path: `${prefix}${request.url}`,
      headers,
      body,
      timeoutMs: settings.upstreamTimeoutMs,
    });
    void reply.code(upstream.statusCode ?? 502);
    for (const [headerName, value] of Object.entries(forwardableHeaders(upstream.headers))) {
      if (headerName === 'content-length' || headerName === 'x-request-id') continue;
      void reply.header(headerName, value);
    }
    return reply.send(upstream);
  }

  // Proxied routes live in their own context: bodies stay raw bytes (any content type) and the 413 for
  // an oversized body is answered here, as the kit would report it as 429.
  void app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: settings.bodyLimitBytes },
      (_request, body, done) => done(null, body),
    );
    api.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return payloadTooLarge(reply, request);
      if (error instanceof AppError) {
        if (error.code === ErrorCode.UNAVAILABLE || error.code === ErrorCode.INTERNAL) {
          logger.warn({ err: error.cause ?? error, request_id: request.id }, 'upstream call failed');
        }
        return sendProblem(reply, error, request);
      }
      if ((error.statusCode ?? 500) < 500)
        return sendProblem(reply, AppError.invalid(error.message), request);
      logger.error({ err: error, request_id: request.id }, 'gateway error');
      return sendProblem(reply, AppError.internal(), request);
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const name = routeFor(request.url);
      if (name === null)
        throw new AppError(
          ErrorCode.NOT_FOUND,
          `No API at ${request.method} ${request.url.split('?')[0] ?? ''}`,
        );
      return proxy(name, request, reply);
    };
    api.all('/api/*', handler);
    api.all('/.well-known/*', handler);
  });

  // The readiness of every role and the SFU workers' load, for the superadmin's dashboard. Answered here:
  // the gateway is the one role that knows where every other one is.
  const health = systemHealthProbe({
    roles: (Object.keys(deps.upstreams) as UpstreamName[]).map((role) => ({
      role,
      url: async () => (await resolveUpstream(role)).href,
    })),
    sfuWorkers: deps.sfuWorkers ?? (async () => []),
    timeoutMs: READINESS_TIMEOUT_MS,
  });
  app.get('/api/admin/system-health', async (request) => {
    await requireSuperadmin(
      (await resolveUpstream('auth')).href,
      {
        cookie: request.headers.cookie,
        authorization:
          typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined,
        requestId: request.id,
      },
      READINESS_TIMEOUT_MS,
    );
    const result = await health.check();
    return {
      checked_at: result.checkedAt,
      roles: result.roles.map((r) => ({
        role: r.role,
        status: r.status,
        checks: r.checks,
        error: r.error,
        latency_ms: r.latencyMs,
      })),
      sfu: result.sfu.map((n) => ({
        address: n.address,
        node_id: n.nodeId,
        error: n.error,
        workers: n.workers.map((w) => ({
          worker_id: w.workerId,
          routers: w.routers,
          peers: w.peers,
          producers: w.producers,
          consumers: w.consumers,
          cpu_load: w.cpuLoad,
          draining: w.draining,
        })),
      })),
    };
  });

  app.get('/ws', async (request, reply) =>
    sendProblem(reply, AppError.invalid('The signaling endpoint needs a WebSocket upgrade'), request),
  );

  const serveClient = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (!hasClientBuild(settings.clientDist)) {
      if (path !== '/' && /\.[A-Za-z0-9]+$/.test(path)) throw AppError.notFound('File');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(PLACEHOLDER_PAGE);
    }
    const file = await loadStatic(settings.clientDist, path);
    if (file === null) throw AppError.notFound('File');
    return reply.type(file.contentType).header('cache-control', file.cacheControl).send(file.body);
  };
  app.get('/', serveClient);
  app.get('/*', serveClient);
  // Origo has no icon. Browsers ask for one on every page that names none (the printable invoice, a
  // mail's link to the API): an empty answer keeps a 404 out of their consoles.
  app.get('/favicon.ico', async (_request, reply) =>
    reply.code(204).header('cache-control', 'public, max-age=86400').send(),
  );

  // WebSocket upgrades (/ws only) are tunnelled to signaling; the token travels in the first message.
  const tunnels = new Map<Duplex, UpgradeTunnel>();
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(request, socket, head).catch((err: unknown) => {
      logger.warn({ err }, 'WebSocket upgrade failed');
      refuse(socket, 502, 'Bad Gateway');
    });
  });

  function refuse(socket: Duplex, status: number, text: string, extra: Record<string, string> = {}): void {
    if (socket.destroyed) return;
    const headers = Object.entries({ connection: 'close', 'content-length': '0', ...extra })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    socket.end(`HTTP/1.1 ${status} ${text}\r\n${headers}\r\n\r\n`);
  }

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/ws' || String(request.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      refuse(socket, 404, 'Not Found');
      return;
    }
    const host = request.headers.host ?? '';
    const origin = request.headers.origin;
    // Cross-site WebSocket hijacking: browsers always send Origin on WebSocket handshakes.
    if (
      !originAllowed(
        origin,
        settings.trustProxy ? String(request.headers['x-forwarded-host'] ?? host) : host,
        settings.corsOrigins,
      )
    ) {
      refuse(socket, 403, 'Forbidden');
      return;
    }
    const result = await rateLimit(clientAddress(request), undefined);
    if (!result.allowed) {
      refuse(socket, 429, 'Too Many Requests', { 'retry-after': String(result.resetSeconds) });
      return;
    }
    const target = await resolveUpstream('signaling');
    const targetPath =
      target.pathname !== '/' && target.pathname !== ''
        ? `${target.pathname}${(request.url ?? '').slice(path.length)}`
        : (request.url ?? '/ws');
    const requestId = acceptRequestId(request.headers['x-request-id']);
    const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
    const tunnel = tunnelUpgrade(
      request,
      socket,
      head,
      target,
      targetPath,
      {
        'x-forwarded-for': clientAddress(request),
        'x-forwarded-proto': encrypted ? 'https' : 'http',
        'x-forwarded-host': host,
        'x-request-id': requestId,
      },
      { maxMessageBytes: settings.wsMaxMessageBytes },
      (err) => logger.warn({ err, request_id: requestId }, 'signaling upstream unreachable'),
    );
    tunnels.set(socket, tunnel);
    socket.once('close', () => tunnels.delete(socket));
  }

  return {
    app,
    http,
    settings,
    listen: (port, host) => http.listen(port, host),
    setDraining: () => http.setDraining(),
    async close() {
      // Clients still connected hear 1001 (going away) rather than a cut connection; in one process
      // signaling has closed its sockets already (the launcher stops the gateway last).
      const closed = [...tunnels.keys()].map(
        (socket) => new Promise<void>((done) => socket.once('close', () => done())),
      );
      for (const tunnel of tunnels.values()) tunnel.close(CLOSE_CODE.goingAway, 'server shutting down');
      const grace = new Promise<void>((done) => setTimeout(done, TUNNEL_CLOSE_GRACE_MS).unref());
      await Promise.race([Promise.all(closed), grace]);
      for (const socket of tunnels.keys()) socket.destroy();
      await http.close();
      health.close();
    },
  };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a path is a page of the web client (not an API, a health probe, the WebSocket, metrics). */
function isPagePath(path: string): boolean {
  return !/^\/(api|ws|health|metrics|\.well-known)(\/|$)/.test(path);
}

/**
 * For a public URL on a loopback name, where a request that reached us through another loopback name on
 * the same port should go instead; null when the public URL is not on a loopback name.
 */
function loopbackCanonical(
  publicUrl: string | null,
): { redirectFor(host: string | undefined): string | null } | null {
  if (publicUrl === null) return null;
  let wanted: URL;
  try {
    wanted = new URL(publicUrl);
  } catch {
    return null;
  }
  if (!LOOPBACK_NAMES.has(wanted.hostname)) return null;
  const port = wanted.port || (wanted.protocol === 'https:' ? '443' : '80');
  return {
    redirectFor(host) {
      if (host === undefined) return null;
      const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
      if (match === null) return null;
      const [, name, hostPort] = match;
      if (name === undefined || name === wanted.hostname || !LOOPBACK_NAMES.has(name)) return null;
      if ((hostPort ?? (wanted.protocol === 'https:' ? '443' : '80')) !== port) return null;
      return wanted.origin;
    },
  };
}
