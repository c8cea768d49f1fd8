import {
  makeGenericClientConstructor,
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  type Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  ErrorCode,
  createGrpcClient,
  createGrpcServer,
  createHttpService,
  createLogger,
  createMetrics,
  startTracing,
  unary,
  type GrpcServer,
  type HttpService,
  type TracingHandle,
} from '../src/index.js';
import { captureLogs, parsePrometheusText } from '../src/testing/index.js';

interface EchoRequest {
  text: string;
  failWith?: ErrorCode;
}
interface EchoReply {
  text: string;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: <T>(bytes: Buffer) => JSON.parse(bytes.toString()) as T,
};

const EchoService = {
  echo: {
    path: '/origo.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: EchoRequest) => json.serialize(value),
    requestDeserialize: (bytes: Buffer) => json.deserialize<EchoRequest>(bytes),
    responseSerialize: (value: EchoReply) => json.serialize(value),
    responseDeserialize: (bytes: Buffer) => json.deserialize<EchoReply>(bytes),
  },
} satisfies ServiceDefinition;

type EchoClient = Client & {
  echo: (
    request: EchoRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: EchoReply) => void,
  ) => ClientUnaryCall;
};
const EchoClientCtor = makeGenericClientConstructor(EchoService, 'Echo') as unknown as new (
  ...args: ConstructorParameters<ReturnType<typeof makeGenericClientConstructor>>
) => EchoClient;

describe('HTTP edge -> gRPC service', () => {
  const grpcLogs = captureLogs();
  const httpLogs = captureLogs();
  let tracing: TracingHandle;
  let grpcServer: GrpcServer;
  let http: HttpService;
  let client: EchoClient;
  let baseUrl: string;

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'kit-test' });
    const grpcLogger = createLogger({ service: 'echo', destination: grpcLogs.destination });
    grpcServer = createGrpcServer({ service: 'echo', logger: grpcLogger, metrics: createMetrics('echo') });
    grpcServer.add(EchoService, {
      echo: async (request) => {
        grpcLogger.info({ text: request.text }, 'echo handled');
        if (request.failWith) throw new AppError(request.failWith, `asked to fail with ${request.failWith}`);
        return { text: request.text.toUpperCase() };
      },
    });
    const port = await grpcServer.listen('127.0.0.1', 0);
    client = createGrpcClient(EchoClientCtor, `127.0.0.1:${port}`);

    const metrics = createMetrics('edge');
    http = createHttpService({
      service: 'edge',
      logger: createLogger({ service: 'edge', destination: httpLogs.destination }),
      metrics,
      readiness: [
        { name: 'echo', check: async () => void (await unary(client.echo.bind(client), { text: 'ping' })) },
      ],
    });
    http.app.get<{ Params: { text: string }; Querystring: { fail?: ErrorCode } }>(
      '/echo/:text',
      async (request) => {
        const reply = await unary(client.echo.bind(client), {
          text: request.params.text,
          ...(request.query.fail ? { failWith: request.query.fail } : {}),
        });
        return { text: reply.text };
      },
    );
    http.app.post(
      '/items',
      {
        schema: {
          body: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 } },
          },
        },
      },
      async () => ({ ok: true }),
    );
    baseUrl = (await http.listen(0)).url;
  });

  afterAll(async () => {
    client?.close();
    await http?.close();
    await grpcServer?.shutdown(1000);
    await tracing?.shutdown();
  });

  it('carries the request id and trace id from HTTP into the gRPC handler logs', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${baseUrl}/echo/hello`, {
      headers: { 'x-request-id': 'req-trace-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ text: 'HELLO' });
    expect(response.headers.get('x-request-id')).toBe('req-trace-1');
    const line = grpcLogs.lines().find((l) => l['msg'] === 'echo handled' && l['text'] === 'hello');
    expect(line).toMatchObject({ service: 'echo', request_id: 'req-trace-1', trace_id: traceId });
    const edgeLine = httpLogs
      .lines()
      .find((l) => l['msg'] === 'http request' && l['route'] === '/echo/:text');
    expect(edgeLine).toMatchObject({ request_id: 'req-trace-1', trace_id: traceId, status: 200 });
  });

  it('makes a new request id when the caller sends none or a malformed one', async () => {
    const response = await fetch(`${baseUrl}/echo/x`, { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each(Object.values(ErrorCode).filter((c) => c !== 'INTERNAL' && c !== 'UNKNOWN'))(
    'maps %s thrown in a gRPC handler to its HTTP status and a problem document',
    async (code) => {
      const error = new AppError(code, 'x');
      const response = await fetch(`${baseUrl}/echo/x?fail=${code}`, {
        headers: { 'x-request-id': `req-${code}` },
      });
      expect(response.status).toBe(error.httpStatus);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        status: error.httpStatus,
        code,
        detail: `asked to fail with ${code}`,
        request_id: `req-${code}`,
      });
    },
  );

  it('refuses control characters in a gRPC request before the handler runs', async () => {
    const before = grpcLogs.lines().filter((l) => l['msg'] === 'echo handled').length;
    await expect(unary(client.echo.bind(client), { text: 'a\u0000b' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'Invalid characters in the request: text',
    });
    await expect(unary(client.echo.bind(client), { text: 'line\r\nbreak' })).resolves.toEqual({
      text: 'LINE\r\nBREAK',
    });
    expect(grpcLogs.lines().filter((l) => l['msg'] === 'echo handled').length).toBe(before + 1);
  });

  it('hides internal errors from callers', async () => {
    const response = await fetch(`${baseUrl}/echo/x?fail=INTERNAL`);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: 'INTERNAL', detail: 'Internal error' });
  });

  it('answers schema violations, bad JSON and unknown routes with problem+json', async () => {
    const invalid = await fetch(`${baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '' }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'INVALID_ARGUMENT', errors: [{ field: 'name' }] });

    const malformed = await fetch(`${baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');

    const oversize = await fetch(`${baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(oversize.status).toBe(413);
    expect(await oversize.json()).toMatchObject({
      status: 413,
      code: 'INVALID_ARGUMENT',
      detail: 'Request body is too large',
    });

    const missing = await fetch(`${baseUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND', detail: 'No route for GET /nope' });
  });

  it('answers 405 with an Allow header when the path exists but not for the method', async () => {
    const wrongMethod = await fetch(`${baseUrl}/echo/hi?x=1`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect(wrongMethod.headers.get('content-type')).toContain('application/problem+json');
    expect(await wrongMethod.json()).toMatchObject({
      status: 405,
      title: 'Method not allowed',
      reason: 'method_not_allowed',
      detail: 'DELETE is not allowed on /echo/hi; use GET.',
    });

    const items = await fetch(`${baseUrl}/items`, { method: 'PUT' });
    expect(items.status).toBe(405);
    expect(items.headers.get('allow')).toBe('POST');

    // A path no route matches for any method stays a 404.
    expect((await fetch(`${baseUrl}/echo/hi/more`, { method: 'DELETE' })).status).toBe(404);

    // An empty body under a JSON content type (curl -H by habit) is no body: the same answers, not a 400.
    const json = { 'content-type': 'application/json' };
    const habit = await fetch(`${baseUrl}/echo/hi`, { method: 'DELETE', headers: json });
    expect(habit.status).toBe(405);
    expect(habit.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${baseUrl}/nope`, { method: 'DELETE', headers: json })).status).toBe(404);
    expect((await fetch(`${baseUrl}/echo/hi`, { headers: json })).status).toBe(200);
    // A route that takes a body still says it is empty.
    const empty = await fetch(`${baseUrl}/items`, { method: 'POST', headers: json });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/empty/i) });
    // And a body that is not JSON is refused on any method.
    expect((await fetch(`${baseUrl}/items`, { method: 'PUT', headers: json, body: '{' })).status).toBe(400);
  });

  it('serves liveness, readiness (checking dependencies) and valid Prometheus metrics', async () => {
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { echo: 'ok' } });

    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const { samples, types } = parsePrometheusText(await metrics.text());
    expect(types.get('origo_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('origo_process_cpu_user_seconds_total')).toBe('counter');
    const count = samples.find(
      (s) =>
        s.name === 'origo_http_request_duration_seconds_count' &&
        s.labels['route'] === '/echo/:text' &&
        s.labels['status'] === '200',
    );
    expect(count?.value).toBeGreaterThanOrEqual(1);
    expect(count?.labels['service']).toBe('edge');
  });

  it('rejects Prometheus text that is malformed', () => {
    expect(() => parsePrometheusText('# TYPE a counter\na{x="1" 1\n')).toThrow(/bad sample/);
    expect(() => parsePrometheusText('b 1\n')).toThrow(/before its TYPE/);
  });
});

describe('readiness', () => {
  it('answers 503 naming the failing dependency, and while draining', async () => {
    const http = createHttpService({
      service: 'r',
      logger: createLogger({ service: 'r', level: 'silent' }),
      metrics: createMetrics('r', { defaultMetrics: false }),
      readiness: [
        { name: 'db', check: () => Promise.reject(new Error('connection refused')) },
        { name: 'slow', check: () => new Promise(() => {}) },
      ],
      readinessTimeoutMs: 200,
    });
    const { url } = await http.listen(0);
    try {
      const response = await fetch(`${url}/health/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'unavailable',
        checks: { db: 'connection refused', slow: 'slow did not answer within 200 ms' },
      });
    } finally {
      await http.close();
    }
  });
});

describe('graceful close', () => {
  it('lets a request in flight finish, then stops accepting', async () => {
    const http = createHttpService({
      service: 'g',
      logger: createLogger({ service: 'g', level: 'silent' }),
      metrics: createMetrics('g', { defaultMetrics: false }),
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    http.app.get('/slow', async () => {
      entered();
      await released;
      return { done: true };
    });
    const { url } = await http.listen(0);
    const pending = fetch(`${url}/slow`);
    await inHandler;
    const closing = http.close();
    release();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
