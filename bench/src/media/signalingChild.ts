// The SFU under test for --via signaling: one SFU worker (gRPC) and the signaling service (uWS) in
// one process, as the tests of signaling wire them. The generator's peers join real rooms through the
// WebSocket; this process only answers IPC for join tokens, measurements and exit. CPU and counters
// it reports cover signaling and the worker together (both live in this process).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { replyTo } from './benchChild.js';
import { createLogger, generateEd25519Jwk } from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { createSfuWorkerService } from '@origo/sfu';
import { createSignalingService, localKeySource, signalingConfig, signJoinToken } from '@origo/signaling';
import type { SfuMeasure } from './protocol.js';

export type ToSignalingChild =
  | { op: 'token'; reqId: number; identity: string; room: string; publish: boolean; subscribe: boolean }
  | { op: 'measure'; reqId: number; gc?: boolean }
  | { op: 'exit' };

export type FromSignalingChild =
  | { ev: 'ready'; pid: number; source: string; wsUrl: string }
  | { ev: 'reply'; reqId: number; ok: boolean; value?: unknown; error?: string };

const send = (m: FromSignalingChild): void => {
  process.send?.(m);
};

const CLK_TCK = 100;
function procCpuUs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1e6) / CLK_TCK;
  } catch {
    return -1;
  }
}

const logger = createLogger({ service: 'bench', level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' });
const transport = process.env['BENCH_SFU_TRANSPORT'] === 'ndc' ? 'ndc' : 'werift';
const sfu = createSfuWorkerService({ workerId: 'bench-w0', nodeId: 'bench', logger, router: { transport } });
const { grpcAddress } = await sfu.listen();
const jwk = generateEd25519Jwk();
const busKv = await createBusKv({ namespace: `bench${process.pid}:`, logger });
const signaling = createSignalingService({
  config: signalingConfig({ SIGNALING_NODE_ID: 'bench-node' }),
  logger,
  busKv,
  keys: localKeySource(jwk),
  sfuDirectory: () => Promise.resolve([grpcAddress]),
});
const { wsUrl } = await signaling.listen(0, '127.0.0.1');

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let lastElu = performance.eventLoopUtilization();

function measure(gc: boolean): SfuMeasure {
  const cpu = process.cpuUsage();
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const elu = performance.eventLoopUtilization(lastElu);
  lastElu = performance.eventLoopUtilization();
  const totals = sfu.worker.totals() as unknown as Record<string, number>;
  const m: SfuMeasure = {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    procCpuUs: procCpuUs(),
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    elu: elu.utilization,
    loopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - 10),
    stats: totals,
    peers: totals['peers'] ?? 0,
    wallMs: performance.now(),
  };
  loopDelay.reset();
  return m;
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 3000).unref();
  try {
    await signaling.close();
    await busKv.close();
    await sfu.stop(500);
  } finally {
    process.exit(0);
  }
}

process.on('message', (m: ToSignalingChild) => {
  switch (m.op) {
    case 'token':
      void replyTo(m.reqId, () =>
        signJoinToken({
          privateJwk: jwk,
          identity: m.identity,
          room: m.room,
          grants: { publish: m.publish, subscribe: m.subscribe, host: false },
        }),
      );
      break;
    case 'measure':
      void replyTo(m.reqId, () => measure(m.gc === true));
      break;
    case 'exit':
      void stop();
      break;
  }
});
process.on('disconnect', () => void stop());
send({ ev: 'ready', pid: process.pid, source: `@origo/sfu worker (${transport}) + @origo/signaling`, wsUrl });
