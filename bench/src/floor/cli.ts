// npm run bench:floor -- [--subscribers 60] [--packets 14] [--bytes 1210] [--frames 300] [--no-pin]
// The kernel's floor under the SFU-added latency: how long one frame's fan-out takes on this host when
// nothing but the UDP sends remain (udpFanout.c, built here with the system C compiler), one sendto per
// copy as libdatachannel sends, and batched with sendmmsg. Writes bench/results/<date>-<name>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo } from '../machine.js';
import { BENCH_ROOT, hasTaskset } from '../media/sfuProcess.js';
import { fmt, table } from '../stats.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'udpFanout.c');

interface SendFigures {
  usPerCopy: number;
  burstMeanMs: number;
  burstP99Ms: number;
  burstMaxMs: number;
}

export interface FloorResult {
  subscribers: number;
  packetsPerFrame: number;
  packetBytes: number;
  frames: number;
  sendto: SendFigures;
  sendmmsg: SendFigures;
}

function count(v: string | undefined, name: string, d: number, min: number, max: number): number {
  const n = v === undefined ? d : Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`--${name} expects a whole number from ${min} to ${max}, got ${v}`);
  return n;
}

/** Builds udpFanout.c in a temporary folder and runs it once; throws with the compiler's words. */
export function runFloor(
  subscribers: number,
  packets: number,
  bytes: number,
  frames: number,
  cpu: number,
): FloorResult {
  const dir = mkdtempSync(join(tmpdir(), 'origo-floor-'));
  try {
    const exe = join(dir, 'udp-fanout');
    const cc = spawnSync(process.env['CC'] ?? 'cc', ['-O2', '-o', exe, SOURCE], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0)
      throw new Error(
        `bench:floor needs a C compiler (cc, or CC=...): ${cc.error?.message ?? cc.stderr.trim()}`,
      );
    const run = spawnSync(exe, [subscribers, packets, bytes, frames, cpu].map(String), {
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    if (run.error || run.status !== 0)
      throw new Error(`udp-fanout failed: ${run.error?.message ?? run.stderr.trim()}`);
    return JSON.parse(run.stdout) as FloorResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string' },
      packets: { type: 'string' },
      bytes: { type: 'string' },
      frames: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      name: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const subscribers = count(values.subscribers, 'subscribers', 60, 1, 1024);
  const packets = count(values.packets, 'packets', 14, 1, 256);
  const bytes = count(values.bytes, 'bytes', 1210, 12, 1500);
  const frames = count(values.frames, 'frames', 300, 1, 100_000);
  // As bench:media pins the SFU: the sender on CPU 1, the receivers on CPU 0.
  const cpu = values['no-pin'] || !hasTaskset() ? -1 : 1;
  const machine = machineInfo();
  const result = runFloor(subscribers, packets, bytes, frames, cpu);
  const name = values.name ?? `floor-s${subscribers}-p${packets}`;
  const report = {
    schema: 'origo.bench.floor/1',
    name,
    date: new Date().toISOString(),
    command: `npm run bench:floor -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    senderPinnedToCpu: cpu < 0 ? null : cpu,
    result,
  };
  const outDir = values.out ?? join(BENCH_ROOT, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${report.date.slice(0, 10)}-${name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const copies = subscribers * packets;
  console.log(
    `one frame of ${packets} packets of ${bytes} bytes to ${subscribers} loopback sockets: ${copies} copies, ` +
      `${frames} frames (${machine.cpuModel}, load ${machine.loadavg[0] ?? '?'})`,
  );
  const row = (label: string, f: SendFigures) => [
    label,
    fmt(f.usPerCopy, 2),
    fmt(f.burstMeanMs, 2),
    fmt(f.burstP99Ms, 2),
    fmt(f.burstMaxMs, 2),
  ];
  console.log(
    table([
      ['sends', 'us per copy', 'burst mean ms', 'burst p99 ms', 'burst max ms'],
      row('sendto, one per copy (libdatachannel)', result.sendto),
      row('sendmmsg, one per packet for all', result.sendmmsg),
    ]),
  );
  console.log(`\nwritten: ${file}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  try {
    main();
  } catch (e: unknown) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
