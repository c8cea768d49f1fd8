// npm run bench:http -- [--url http://127.0.0.1:PORT/path ...] [--connections 50] [--duration 10]
// Requests/s and latency percentiles with autocannon (the Node stand-in for the k6 scripts in
// bench/k6, which need the k6 binary). Without --url it starts the kit's HTTP service in a child
// pinned to CPU 1 and loads its /health endpoints: the gateway, auth and control roles are not
// wired into `npm start` yet. Only 127.0.0.1 / localhost targets are accepted.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { BENCH_ROOT, hasTaskset, pinProcess } from '../media/sfuProcess.js';
import { machineInfo } from '../machine.js';
import { fmt, table } from '../stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface HttpRunResult {
  url: string;
  method: string;
  connections: number;
  seconds: number;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP90Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU of the server child over the run, when this tool started it; null otherwise. */
  serverCpuPercentOfOneCore: number | null;
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    throw new RangeError(`only loopback targets are allowed, got ${host}`);
}

async function startServer(pin: boolean): Promise<{ child: ChildProcess; port: number }> {
  const args = ['--conditions=source', '--import', 'tsx', join(HERE, 'serverChild.ts')];
  const child =
    pin && hasTaskset()
      ? spawn('taskset', ['-c', '1', process.execPath, ...args], {
          cwd: BENCH_ROOT,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
      : spawn(process.execPath, args, { cwd: BENCH_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('HTTP server child did not start within 30 s')), 30_000);
    child.on('message', (m: { ev: string; port?: number }) => {
      if (m.ev === 'ready') {
        clearTimeout(timer);
        resolve(m.port ?? 0);
      }
    });
    child.on('exit', (code) => reject(new Error(`HTTP server child exited (${code})`)));
  });
  return { child, port };
}

function childCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: { ev: string; value?: NodeJS.CpuUsage }): void => {
      if (m.ev === 'cpu' && m.value) {
        child.off('message', on);
        resolve(m.value.user + m.value.system);
      }
    };
    child.on('message', on);
    child.send({ op: 'cpu' });
  });
}

export async function loadUrl(
  url: string,
  connections: number,
  seconds: number,
  server: ChildProcess | null,
): Promise<HttpRunResult> {
  assertLoopback(url);
  const cpu0 = server ? await childCpu(server) : 0;
  const t0 = performance.now();
  const r = await autocannon({ url, connections, duration: seconds, timeout: 10 });
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = server ? await childCpu(server) : 0;
  return {
    url,
    method: 'GET',
    connections,
    seconds: r.duration,
    requestsPerSec: r.requests.average,
    latencyP50Ms: r.latency.p50,
    latencyP90Ms: r.latency.p90,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    serverCpuPercentOfOneCore: server ? ((cpu1 - cpu0) / 1e6 / wall) * 100 : null,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', multiple: true },
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      'no-pin': { type: 'boolean', default: false },
      name: { type: 'string', default: 'http' },
      out: { type: 'string' },
    },
  });
  const connections = Math.min(1000, Math.max(1, Number(values.connections)));
  const seconds = Math.min(120, Math.max(1, Number(values.duration)));
  const pin = !values['no-pin'];
  if (pin) pinProcess(process.pid, 0);
  let server: { child: ChildProcess; port: number } | null = null;
  let urls = values.url ?? [];
  let target = 'given URLs';
  if (urls.length === 0) {
    server = await startServer(pin);
    urls = [`http://127.0.0.1:${server.port}/health/live`, `http://127.0.0.1:${server.port}/health/ready`];
    target = 'kit HTTP service (createHttpService) /health endpoints; the gateway role does not exist yet';
  }
  const results: HttpRunResult[] = [];
  try {
    for (const u of urls) results.push(await loadUrl(u, connections, seconds, server?.child ?? null));
  } finally {
    server?.child.send({ op: 'exit' });
    setTimeout(() => server?.child.kill('SIGKILL'), 3000).unref();
  }
  const report = {
    schema: 'origo.bench.http/1',
    name: values.name,
    date: new Date().toISOString(),
    command: `npm run bench:http -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineInfo(),
    target,
    serverPinnedToCpu: server && pin && hasTaskset() ? 1 : null,
    results,
  };
  const outDir = values.out ?? join(BENCH_ROOT, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${report.date.slice(0, 10)}-${values.name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`target: ${target}`);
  console.log(
    table([
      ['url', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'server CPU %'],
      ...results.map((r) => [
        new URL(r.url).pathname,
        String(r.connections),
        fmt(r.requestsPerSec, 0),
        fmt(r.latencyP50Ms, 1),
        fmt(r.latencyP99Ms, 1),
        fmt(r.latencyMaxMs, 1),
        String(r.errors + r.timeouts),
        String(r.non2xx),
        fmt(r.serverCpuPercentOfOneCore, 0),
      ]),
    ]),
  );
  console.log(`\nwritten: ${file}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
