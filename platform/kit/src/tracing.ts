import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TracingHandle {
  /** True when spans leave the process (OTLP endpoint configured). */
  exporting: boolean;
  shutdown(): Promise<void>;
}

/**
 * Keeps spans (and so trace ids in logs and W3C propagation across HTTP, gRPC and the WebSocket) when no
 * collector is configured, at the cost of creating span objects that go nowhere.
 */
class DiscardingSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let active: { handle: TracingHandle; refs: number } | undefined;

/**
 * Starts OpenTelemetry once per process. Several roles may share a process in single-machine mode, so the
 * SDK is reference-counted and the first caller names the resource.
 */
export function startTracing(options: {
  serviceName: string;
  otlpEndpoint?: string | undefined;
}): TracingHandle {
  if (active) {
    active.refs += 1;
    return releaseHandle(active.handle);
  }
  const spanProcessor: SpanProcessor = options.otlpEndpoint
    ? new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
      )
    : new DiscardingSpanProcessor();
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors: [spanProcessor],
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    logRecordProcessors: [],
    autoDetectResources: false,
  });
  sdk.start();
  const handle: TracingHandle = {
    exporting: Boolean(options.otlpEndpoint),
    shutdown: () => sdk.shutdown(),
  };
  active = { handle, refs: 1 };
  return releaseHandle(handle);
}

function releaseHandle(handle: TracingHandle): TracingHandle {
  let released = false;
  return {
    exporting: handle.exporting,
    async shutdown() {
      if (released || !active) return;
      released = true;
      active.refs -= 1;
      if (active.refs === 0) {
        active = undefined;
        await handle.shutdown();
      }
    },
  };
}

export const tracer = trace.getTracer('origo');

const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Reads W3C trace context (`traceparent`, `tracestate`) from HTTP-style headers. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers, headerGetter);
}

/** Writes the active trace context into a plain record (HTTP headers, gRPC metadata, a WebSocket message). */
export function injectContext(
  carrier: Record<string, string> = {},
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, carrier, recordSetter);
  return carrier;
}

/** Runs `fn` in a new span, ending it and recording a thrown error. */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string | number | boolean> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

export { SpanKind, SpanStatusCode, context as otelContext, trace as otelTrace };
