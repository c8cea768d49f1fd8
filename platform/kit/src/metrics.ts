import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets in seconds, from sub-millisecond RPCs up to slow page loads. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  grpcDuration: Histogram<'method' | 'code' | 'side'>;
}

/**
 * One registry per service, labelled with the service name, with Node process metrics and the HTTP and
 * gRPC latency histograms the kit's helpers fill in.
 */
export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'origo_' });
  const httpDuration = new Histogram({
    name: 'origo_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const grpcDuration = new Histogram({
    name: 'origo_grpc_call_duration_seconds',
    help: 'gRPC call latency by full method name, status code and side (server or client)',
    labelNames: ['method', 'code', 'side'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return { registry, httpDuration, grpcDuration };
}

/**
 * The registry in the Prometheus text format. prom-client writes a NaN sample as "Nan", which the format
 * spells "NaN"; a strict reader refuses it. Default metrics can be NaN: the event-loop lag mean of a window
 * with no sample yet, as when two scrapes come close together.
 */
export async function exposition(registry: Registry): Promise<string> {
  return (await registry.metrics()).replace(/^([^#\n].*) Nan$/gm, '$1 NaN');
}
