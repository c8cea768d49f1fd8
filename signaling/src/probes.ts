// The HTTP routes on the signaling port: `/health/live`, `/health/ready` (an SFU worker answers, the
// store answers, control's join-token keys can be had, not draining) and `/metrics`; anything else is a 404. They share the WebSocket port so the
// tier stays a single port behind the gateway and the ingress.
import { exposition, type Logger, type ServiceMetrics } from '@origo/kit';
import type { BusKv } from '@origo/kit/bus';
import type { SfuPool } from './sfu.js';
import type { HttpResponse, TemplatedApp } from './uws.js';

export interface ProbeDeps {
  logger: Logger;
  metrics: ServiceMetrics;
  pool: SfuPool;
  busKv: BusKv;
  draining: () => boolean;
  /** 'ok' while join tokens can be verified (control's keys are at hand); else why not. */
  keysReady?: () => Promise<string>;
}

export function mountProbes(app: TemplatedApp, deps: ProbeDeps): void {
  const { logger, pool } = deps;
  const serviceMetrics = deps.metrics;
  const sendHttp = (res: HttpResponse, status: string, type: string, body: string): void => {
    res.cork(() =>
      res
        .writeStatus(status)
        .writeHeader('content-type', type)
        .writeHeader('cache-control', 'no-store')
        .end(body),
    );
  };
  const asyncHttp = (
    res: HttpResponse,
    work: () => Promise<{ status: string; type: string; body: string }>,
  ): void => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    work().then(
      (r) => {
        if (!aborted) sendHttp(res, r.status, r.type, r.body);
      },
      (err: unknown) => {
        logger.error({ err }, 'HTTP handler failed');
        if (!aborted) sendHttp(res, '500 Internal Server Error', 'application/json', '{"status":"error"}');
      },
    );
  };
  app.get('/health/live', (res) => sendHttp(res, '200 OK', 'application/json', '{"status":"ok"}'));
  app.get('/health/ready', (res) =>
    asyncHttp(res, async () => {
      const checks: Record<string, string> = {};
      const draining = deps.draining();
      if (draining) checks['lifecycle'] = 'draining';
      const [sfu, bus, keys] = await Promise.all([
        pool.loads(1000).then(
          (loads) => (loads.length > 0 ? 'ok' : 'no SFU worker answers'),
          (err: unknown) => String(err),
        ),
        withTimeout(deps.busKv.ping(), 1000).then(
          () => 'ok',
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        ),
        deps.keysReady === undefined
          ? Promise.resolve('ok')
          : withTimeout(deps.keysReady(), 1500).catch((err: unknown) => String(err)),
      ]);
      checks['sfu'] = sfu;
      checks['store'] = bus;
      if (deps.keysReady !== undefined) checks['join_token_keys'] = keys;
      const ok = !draining && sfu === 'ok' && bus === 'ok' && keys === 'ok';
      return {
        status: ok ? '200 OK' : '503 Service Unavailable',
        type: 'application/json',
        body: JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks }),
      };
    }),
  );
  app.get('/metrics', (res) =>
    asyncHttp(res, async () => ({
      status: '200 OK',
      type: serviceMetrics.registry.contentType,
      body: await exposition(serviceMetrics.registry),
    })),
  );
  app.any('/*', (res) => sendHttp(res, '404 Not Found', 'application/json', '{"status":"not found"}'));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}
