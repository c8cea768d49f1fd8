import { SpanKind, SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import {
  InterceptingCall,
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  status as GrpcStatus,
  type CallOptions,
  type Client,
  type ChannelOptions,
  type ClientUnaryCall,
  type Interceptor,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { acceptRequestId, currentRequestContext, runWithRequestContext } from './context.js';
import { AppError, ErrorCode, fromGrpcError, toAppError } from './errors.js';
import { findControlCharacters } from './input.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { extractContext, injectContext, tracer } from './tracing.js';

export const REQUEST_ID_METADATA = 'x-request-id';
const ERROR_REASON_METADATA = 'x-error-reason';

/** A unary handler: returns the response or throws (preferably an AppError). */
export type UnaryHandler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;
/** A server-streaming handler: writes to `call` and resolves when the stream should end. */
export type StreamHandler<Req, Res> = (
  request: Req,
  call: ServerWritableStream<Req, Res>,
) => Promise<void> | void;

/** Maps each method of a generated service definition to a handler of the matching shape. */
export type ServiceHandlers<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends {
    requestDeserialize: (bytes: Buffer) => infer Req;
    responseSerialize: (value: infer Res) => Buffer;
    responseStream: infer Streaming;
  }
    ? Streaming extends true
      ? StreamHandler<Req, Res>
      : UnaryHandler<Req, Res>
    : never;
};

export interface GrpcServerOptions {
  service: string;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Largest accepted message (default 4 MiB). */
  maxMessageBytes?: number;
}

export interface GrpcServer {
  server: Server;
  add<D extends ServiceDefinition>(definition: D, handlers: ServiceHandlers<D>): void;
  /** Binds (port 0 picks a free port) and returns the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Waits for calls in flight up to `graceMs`, then cancels what is left. */
  shutdown(graceMs?: number): Promise<void>;
}

function metadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

function metadataHeaders(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') headers[key] = value;
  }
  return headers;
}

/**
 * gRPC requests reach the same databases as HTTP ones: no NUL or other control character (text fields
 * may hold tab and line breaks), refused with INVALID_ARGUMENT naming the field.
 */
function assertCleanMessage(request: unknown): void {
  const violations = findControlCharacters(request, { multiline: true });
  if (violations.length > 0) {
    // gRPC carries no field list: the names go into the message.
    const fields = violations.map((v) => v.field).join(', ');
    throw AppError.invalid(`Invalid characters in the request: ${fields}`, violations);
  }
}

/** Converts anything thrown in a handler to the status the client sees; internals stay in the logs. */
export function toGrpcError(err: unknown, logger: Logger, method: string): Partial<ServiceError> {
  const appError = toAppError(err);
  const internal = appError.code === ErrorCode.INTERNAL || appError.code === ErrorCode.UNKNOWN;
  if (internal) logger.error({ err, method }, 'unhandled error in gRPC handler');
  const metadata = new Metadata();
  if (appError.reason) metadata.set(ERROR_REASON_METADATA, appError.reason);
  return {
    code: appError.grpcStatus,
    details: internal ? 'Internal error' : appError.message,
    metadata,
  };
}

/**
 * A gRPC server whose handlers run inside the caller's request id and trace context, are timed, and
 * whose errors map through the canonical error table.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { logger, metrics } = options;
  const maxBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });

  function enter<T>(method: string, metadata: Metadata, fn: () => Promise<T>): Promise<T> {
    const requestId = acceptRequestId(metadataValue(metadata, REQUEST_ID_METADATA));
    const parent = extractContext(metadataHeaders(metadata));
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'rpc.system': 'grpc', 'rpc.method': method, 'origo.service': options.service },
      },
      parent,
    );
    const started = process.hrtime.bigint();
    const finish = (code: string) => {
      metrics.grpcDuration.observe(
        { method, code, side: 'server' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      if (code !== 'OK') span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      span.end();
    };
    return runWithRequestContext({ requestId }, () =>
      otelContext.with(trace.setSpan(parent, span), async () => {
        try {
          const result = await fn();
          finish('OK');
          return result;
        } catch (err) {
          finish(toAppError(err).code);
          throw err;
        }
      }),
    );
  }

  return {
    server,
    add(definition, handlers) {
      const implementation: UntypedServiceImplementation = {};
      for (const [name, methodDef] of Object.entries(definition)) {
        const handler = (handlers as Record<string, (req: unknown, call: unknown) => unknown>)[name];
        if (!handler) throw new TypeError(`No handler for gRPC method ${methodDef.path}`);
        const method = methodDef.path;
        if (methodDef.responseStream) {
          implementation[name] = (call: ServerWritableStream<unknown, unknown>) => {
            enter(method, call.metadata, async () => {
              assertCleanMessage(call.request);
              await handler(call.request, call);
            }).then(
              () => {
                if (!call.writableEnded && !call.destroyed) call.end();
              },
              (err: unknown) => {
                if (!call.destroyed) call.emit('error', toGrpcError(err, logger, method));
              },
            );
          };
        } else {
          implementation[name] = (
            call: ServerUnaryCall<unknown, unknown>,
            callback: sendUnaryData<unknown>,
          ) => {
            enter(method, call.metadata, async () => {
              assertCleanMessage(call.request);
              return handler(call.request, call);
            }).then(
              (response) => callback(null, response),
              (err: unknown) => callback(toGrpcError(err, logger, method)),
            );
          };
        }
      }
      server.addService(definition, implementation);
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
          if (err)
            reject(
              new AppError(ErrorCode.UNAVAILABLE, `gRPC listen on ${host}:${port} failed: ${err.message}`),
            );
          else resolve(bound);
        });
      });
    },
    shutdown(graceMs = 5000) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

export interface GrpcClientOptions {
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** Deadline for unary calls that set none (default 5 s). Streaming calls get none. */
  defaultDeadlineMs?: number;
  channelOptions?: ChannelOptions;
}

/**
 * The client side of the same contract: every call carries the current request id and trace context,
 * unary calls get a deadline, and latency is recorded.
 */
export function contextInterceptor(options: GrpcClientOptions = {}): Interceptor {
  const deadlineMs = options.defaultDeadlineMs ?? 5000;
  return (callOptions, nextCall) => {
    const definition = callOptions.method_definition;
    if (!callOptions.deadline && !definition.responseStream && !definition.requestStream) {
      callOptions.deadline = Date.now() + deadlineMs;
    }
    const started = process.hrtime.bigint();
    return new InterceptingCall(nextCall(callOptions), {
      start(metadata, _listener, next) {
        const requestId = currentRequestContext()?.requestId;
        if (requestId && metadata.get(REQUEST_ID_METADATA).length === 0)
          metadata.set(REQUEST_ID_METADATA, requestId);
        for (const [key, value] of Object.entries(injectContext())) metadata.set(key, value);
        // Only the status is observed; grpc-js fills the other listener methods with pass-throughs.
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            options.metrics?.grpcDuration.observe(
              {
                method: definition.path,
                code: GrpcStatus[status.code] ?? String(status.code),
                side: 'client',
              },
              Number(process.hrtime.bigint() - started) / 1e9,
            );
            nextStatus(status);
          },
        });
      },
    });
  };
}

type ClientConstructor<C extends Client> = new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options?: ChannelOptions,
) => C;

export function createGrpcClient<C extends Client>(
  Ctor: ClientConstructor<C>,
  address: string,
  options: GrpcClientOptions = {},
): C {
  return new Ctor(address, credentials.createInsecure(), {
    ...options.channelOptions,
    interceptors: [contextInterceptor(options)],
  } as ChannelOptions);
}

/** One client per address, made on first use (services that talk to several SFU workers, say). */
export interface GrpcClientPool<C extends Client> {
  get(address: string): C;
  /** Closes every client made so far; the pool makes new ones if used again. */
  close(): void;
}

export function grpcClientPool<C extends Client>(
  Ctor: ClientConstructor<C>,
  options: GrpcClientOptions = {},
): GrpcClientPool<C> {
  const clients = new Map<string, C>();
  return {
    get(address) {
      let c = clients.get(address);
      if (c === undefined) {
        c = createGrpcClient(Ctor, address, options);
        clients.set(address, c);
      }
      return c;
    },
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** Promise form of a generated unary method; gRPC errors come back as the AppError the server threw. */
export function unary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: { deadlineMs?: number; metadata?: Metadata } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const callOptions: Partial<CallOptions> = options.deadlineMs
      ? { deadline: Date.now() + options.deadlineMs }
      : {};
    method(request, options.metadata ?? new Metadata(), callOptions, (error, response) => {
      if (error) reject(fromGrpcError(error));
      else resolve(response);
    });
  });
}
