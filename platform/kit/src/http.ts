import {
  SpanKind,
  SpanStatusCode,
  context as otelContext,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { z } from 'zod';
import { acceptRequestId, runWithRequestContext } from './context.js';
import { AppError, ErrorCode, toAppError, toProblem, type FieldViolation } from './errors.js';
import { assertCleanRequest } from './input.js';
import type { Logger } from './logger.js';
import { exposition, type ServiceMetrics } from './metrics.js';
import { zodViolations } from './violations.js';
import { extractContext, tracer } from './tracing.js';

export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check: () => Promise<void>;
}

export interface HttpServiceOptions {
  service: string;
  logger: Logger;
  metrics: ServiceMetrics;
  readiness?: ReadinessCheck[];
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Trust X-Forwarded-* from a proxy in front (the gateway, an ingress). */
  trustProxy?: boolean;
  /** Time a readiness check may take before it counts as failed. */
  readinessTimeoutMs?: number;
  /**
   * An extra sentence for the 405 answered when a path exists but not for the request's method, e.g.
   * where the action the caller meant lives (`POST .../cancel` rather than `DELETE`).
   */
  methodNotAllowedHint?: (method: string, path: string) => string | undefined;
}

export interface HttpService {
  app: FastifyInstance;
  /** Marks the service as draining: /health/ready answers 503 so load balancers stop sending work. */
  setDraining(): void;
  /** Every route registered on `app` (method and fastify path), for tests that walk them all. */
  routes(): ReadonlyArray<{ method: string; url: string }>;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** Stops accepting, lets requests in flight finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

interface RequestState {
  requestId: string;
  span: Span;
  spanContext: Context;
  startedAt: bigint;
}

declare module 'fastify' {
  interface FastifyRequest {
    origo: RequestState;
  }
}

const PROBLEM_TYPE = 'application/problem+json';
/** Methods whose routes read a request body. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Every Origo HTTP listener: request ids, W3C trace context, latency metrics, problem+json errors, and
 * the `/health/live`, `/health/ready` and `/metrics` endpoints.
 */
export function createHttpService(options: HttpServiceOptions): HttpService {
  const { logger, metrics } = options;
  const readiness = options.readiness ?? [];
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  let draining = false;

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: (req) => acceptRequestId(req.headers['x-request-id']),
    requestIdHeader: false,
  });

  app.decorateRequest('origo', null as unknown as RequestState);

  // An empty body sent with `content-type: application/json` (curl -H by habit) is no body on a
  // request that takes none (GET, DELETE, a path with no route), so the answer is that route's (a 405
  // naming the methods, a 404), not a parse error; a route that takes a body still says it is empty.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '' && (request.is404 || !BODY_METHODS.has(request.method))) {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  const registered: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method])
      if (method !== 'HEAD') registered.push({ method, url: route.url });
  });

  app.addHook('onRequest', (request, reply, done) => {
    const parent = extractContext(request.headers);
    const span = tracer.startSpan(
      `HTTP ${request.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'origo.service': options.service },
      },
      parent,
    );
    request.origo = {
      requestId: request.id,
      span,
      spanContext: trace.setSpan(parent, span),
      startedAt: process.hrtime.bigint(),
    };
    void reply.header('x-request-id', request.id);
    done();
  });

  // Before any handler or guard reads them: path parameters, query and body carry no character the
  // database refuses or no field means (NUL, other controls), whatever schema the route uses.
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      assertCleanRequest(request);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  // Body parsing runs outside the request's async context, so the context is entered right before the
  // handler: everything the handler awaits (logs, gRPC calls) sees the request id and the span.
  app.addHook('preHandler', (request, _reply, done) => {
    runWithRequestContext({ requestId: request.origo.requestId }, () =>
      otelContext.with(request.origo.spanContext, done),
    );
  });

  app.addHook('onResponse', (request, reply, done) => {
    const state = request.origo;
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - state.startedAt) / 1e9;
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      seconds,
    );
    state.span.setAttribute('http.route', route);
    state.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) state.span.setStatus({ code: SpanStatusCode.ERROR });
    state.span.end();
    const quiet = route.startsWith('/health') || route === '/metrics';
    const line = {
      request_id: state.requestId,
      trace_id: state.span.spanContext().traceId,
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: Math.round(seconds * 1e4) / 10,
    };
    if (!quiet) logger.info(line, 'http request');
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = fromFastifyError(error);
    if (appError.code === ErrorCode.INTERNAL || appError.code === ErrorCode.UNKNOWN) {
      logger.error({ err: error, request_id: request.id }, 'unhandled error in request');
    }
    return sendProblem(reply, appError, request);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allow = allowedMethods(app, registered, path);
    if (allow.length === 0)
      return sendProblem(
        reply,
        new AppError(ErrorCode.NOT_FOUND, `No route for ${request.method} ${path}`),
        request,
      );
    // The path exists, only not for this method: 405 with the methods that do (RFC 9110, 15.5.6).
    const shown = allow.filter((m) => m !== 'HEAD');
    const hint = options.methodNotAllowedHint?.(request.method, path);
    const detail =
      `${request.method} is not allowed on ${path}; use ${joinOr(shown)}.` + (hint ? ` ${hint}` : '');
    void reply.header('allow', allow.join(', '));
    return sendProblem(
      reply,
      new AppError(ErrorCode.UNIMPLEMENTED, detail, { httpStatus: 405, reason: 'method_not_allowed' }),
      request,
    );
  });

  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    const results: Record<string, string> = {};
    let ok = !draining;
    if (draining) results['lifecycle'] = 'draining';
    await Promise.all(
      readiness.map(async ({ name, check }) => {
        try {
          await withTimeout(
            check(),
            readinessTimeoutMs,
            `${name} did not answer within ${readinessTimeoutMs} ms`,
          );
          results[name] = 'ok';
        } catch (err) {
          ok = false;
          results[name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: results });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await exposition(metrics.registry);
    return reply.type(metrics.registry.contentType).send(body);
  });

  return {
    app,
    setDraining() {
      draining = true;
    },
    routes: () => registered,
    async listen(port, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      return { port: bound, url: `http://${shownHost}:${bound}` };
    },
    async close() {
      draining = true;
      await app.close();
    },
  };
}

/**
 * The methods some route answers `path` with, found through fastify's own router (so parameters match
 * as they do for requests). Catch-all (`*`) routes do not count: they would make every path "exist".
 */
function allowedMethods(
  app: FastifyInstance,
  registered: ReadonlyArray<{ method: string; url: string }>,
  path: string,
): string[] {
  const methods = [...new Set(registered.map((r) => r.method))];
  const allow = methods.filter((method) => {
    const found = app.findRoute({ method: method as 'GET', url: path });
    return found !== null && !('*' in (found.params as Record<string, string>));
  });
  if (allow.includes('GET')) allow.push('HEAD');
  return allow.sort();
}

function joinOr(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Retry-After on a 503 problem whose error names no time of its own (RFC 9110, section 10.2.3). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function sendProblem(reply: FastifyReply, error: AppError, request?: FastifyRequest): FastifyReply {
  const doc = toProblem(error, {
    ...(request ? { instance: request.url.split('?')[0] ?? request.url, requestId: request.id } : {}),
  });
  if (error.code === ErrorCode.UNAUTHENTICATED) void reply.header('www-authenticate', 'Bearer');
  const retryAfter =
    error.retryAfterSeconds ?? (doc.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  return reply.code(doc.status).type(PROBLEM_TYPE).send(doc);
}

function fromFastifyError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return zodToAppError(error);
  if (error.validation) {
    const violations: FieldViolation[] = error.validation.map((v) => ({
      field: v.instancePath
        ? v.instancePath.replace(/^\//, '').replaceAll('/', '.')
        : String(v.params?.['missingProperty'] ?? ''),
      message: v.message ?? 'is invalid',
    }));
    return AppError.invalid(`Invalid request ${error.validationContext ?? ''}`.trim(), violations);
  }
  const status = error.statusCode ?? 500;
  if (status === 413)
    return new AppError(ErrorCode.INVALID_ARGUMENT, 'Request body is too large', { httpStatus: 413 });
  if (status === 415)
    return new AppError(ErrorCode.INVALID_ARGUMENT, 'Unsupported content type', { httpStatus: 415 });
  if (status === 429) return new AppError(ErrorCode.RESOURCE_EXHAUSTED, error.message);
  if (status >= 400 && status < 500) return new AppError(ErrorCode.INVALID_ARGUMENT, error.message);
  return toAppError(error);
}

/** A 400 naming each bad field once; with `schema`, a number field's message gives its accepted range. */
export function zodToAppError(error: z.ZodError, message = 'Invalid request', schema?: z.ZodType): AppError {
  return AppError.invalid(message, zodViolations(error, schema));
}

/**
 * Defence in depth against cross-site request forgery on top of SameSite=Lax: a state-changing request
 * authenticated by a cookie must come from our own origin when the browser says where it comes from.
 * Requests without Origin (curl, server-to-server) pass; browsers always send it on cross-site POSTs.
 * `trustForwardedHost` compares against X-Forwarded-Host, for services behind the gateway.
 */
export function assertSameOrigin(
  request: FastifyRequest,
  options: { trustedOrigin: string; trustForwardedHost: boolean },
): void {
  const refuse = (message: string) =>
    new AppError(ErrorCode.PERMISSION_DENIED, message, { reason: 'cross_origin' });
  if (request.headers['sec-fetch-site'] === 'cross-site') throw refuse('Cross-site request refused');
  const origin = request.headers.origin;
  if (origin === undefined || origin === '' || origin === options.trustedOrigin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw refuse('Cross-origin request refused');
  }
  const forwarded = request.headers['x-forwarded-host'];
  const forwardedHost = Array.isArray(forwarded) ? forwarded[0] : forwarded;
  const requestHost = options.trustForwardedHost && forwardedHost ? forwardedHost : request.headers.host;
  if (host !== requestHost) throw refuse('Cross-origin request refused');
}

/** Parses with a zod schema and throws INVALID_ARGUMENT with per-field violations on failure. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, message?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodToAppError(result.error, message, schema);
  return result.data;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
      timer.unref();
    }),
  ]);
}
