#!/usr/bin/env node
// origo-turn-probe: allocates through coturn every TURN_PROBE_INTERVAL_SECONDS and exports the outcome
// on /metrics (the TURN allocation alerts in deploy/observability use it); /health/* as every Origo
// process. Runs as its own Deployment beside coturn with the same image.
import { Counter, Gauge, Histogram } from 'prom-client';
import { z } from 'zod';
import { createHttpService, createLogger, createMetrics, env, loadConfig, ConfigError } from '@origo/kit';
import { probeTurn, type ProbeResult } from './probe.js';

const schema = z.object({
  /** host:port of the TURN server's UDP listener. */
  TURN_PROBE_SERVER: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port or [v6]:port'),
  TURN_SECRET: z.string().min(16),
  TURN_PROBE_PEER: z.string().min(1).optional(),
  TURN_PROBE_INTERVAL_SECONDS: env.int(30, 5, 3600),
  TURN_PROBE_PORT: env.port(9102),
  TURN_PROBE_HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
});

function parseServer(value: string): { address: string; port: number } {
  const at = value.lastIndexOf(':');
  return { address: value.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(value.slice(at + 1)) };
}

async function main(): Promise<void> {
  let config: z.infer<typeof schema>;
  try {
    config = loadConfig(schema, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const logger = createLogger({ service: 'turn-probe', level: config.LOG_LEVEL });
  const metrics = createMetrics('turn-probe');
  const registers = [metrics.registry];
  const attempts = new Counter({
    name: 'origo_turn_probe_attempts_total',
    help: 'TURN probe allocations by outcome (ok, auth_failed, refused, quota, timeout, error)',
    labelNames: ['result'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'origo_turn_probe_duration_seconds',
    help: 'Time for one probe: allocate, permission, release',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const up = new Gauge({
    name: 'origo_turn_probe_success',
    help: '1 when the last probe allocated (and got its permission), 0 otherwise',
    registers,
  });
  // Every outcome exists from the start, so rates and ratios are defined before the first failure.
  for (const result of ['ok', 'auth_failed', 'refused', 'quota', 'timeout', 'error'] satisfies ProbeResult[])
    attempts.inc({ result }, 0);

  const server = parseServer(config.TURN_PROBE_SERVER);
  const http = createHttpService({ service: 'turn-probe', logger, metrics });
  const { url } = await http.listen(config.TURN_PROBE_PORT, config.TURN_PROBE_HOST);
  logger.info({ url, server: config.TURN_PROBE_SERVER }, 'turn probe listening');

  let running = true;
  const once = async () => {
    const outcome = await probeTurn({
      server,
      secret: config.TURN_SECRET,
      ...(config.TURN_PROBE_PEER !== undefined ? { peer: config.TURN_PROBE_PEER } : {}),
    });
    attempts.inc({ result: outcome.result });
    duration.observe(outcome.seconds);
    up.set(outcome.result === 'ok' ? 1 : 0);
    if (outcome.result !== 'ok')
      logger.warn({ result: outcome.result, detail: outcome.detail }, 'turn probe failed');
  };
  const timer = setInterval(() => {
    if (running) void once().catch((err: unknown) => logger.error({ err }, 'turn probe crashed'));
  }, config.TURN_PROBE_INTERVAL_SECONDS * 1000);
  await once();

  const stop = () => {
    running = false;
    clearInterval(timer);
    http.setDraining();
    void http.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
