// npm run bench:media -- --publishers N --subscribers M --duration S [--find-max] [options]
// Writes bench/results/<date>-<name>.json and prints a table. --help lists the options.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCeiling } from '../ceiling/run.js';
import { BENCH_ROOT, type BenchTransport } from './sfuProcess.js';
import { applyCeiling, compareTable } from './compare.js';
import { reportTable, runMediaBench, writeReport, type MediaBenchOptions, type MediaReport } from './run.js';
import { DEFAULT_AUDIO, DEFAULT_VIDEO } from './synthetic.js';

const HELP = `Usage: npm run bench:media -- [options]
  --publishers N        publishing peers (default 1; 2 with --find-max)
  --subscribers M       subscribing peers, each receives every publisher (default 4; the first step with --find-max)
  --duration S          measurement window in seconds (default 10; 5 per step with --find-max)
  --warmup S            seconds between joining and measuring (default 3; 2 with --find-max)
  --find-max            ramp subscribers until loss > --max-loss % or added p99 > --max-added-p99 ms
  --step K              find-max: subscribers added per step once the SFU is past half a core (default 6)
  --max-subscribers N   find-max: upper bound (default 150)
  --max-minutes N       find-max: time bound (default 8)
  --max-loss P          find-max limit, percent (default 1)
  --max-added-p99 MS    find-max limit (default 50)
  --video-kbps K        video bitrate per publisher (default 1000); --fps F (default 30)
  --pacing F            publishers pace video at F times its bitrate, as libwebrtc's pacer does in
                        Chromium (default 2.5); 0 sends each frame as one burst
  --pacing-window-ms MS how much of the pacing rate leaves at once (default 40, libwebrtc's send burst
                        interval since 2023: a delta frame is one burst; 5: the pacer before it)
  --no-video, --no-audio
  --no-ceiling          skip the bare Node relay ceiling run
  --no-pin              do not pin (SFU on CPU 1, generator on CPU 0)
  --cpu-prof            write a V8 CPU profile of the SFU child to bench/results/raw/
  --join-concurrency N  subscribers joining at once (default 4)
  --name NAME           result file name part (default derived from the options)
  --out DIR             output directory (default bench/results)
  --via MODE            signaling (default): peers join a real room through the signaling WebSocket,
                        which drives an SFU worker over gRPC (same child); ipc: peers join a Router
                        over IPC (no signaling, isolates the media plane)
  --transport LIST      the SFU's WebRTC stack: werift, ndc, or both in one run (ndc,werift), each
                        measured in turn on the same cores and printed side by side (default ndc,werift)
  --receivers STACK     the generator's subscribers: ndc (default; libdatachannel decrypts natively, so
                        one generator core keeps up at 30,000+ packets/s) or werift (decrypts in
                        JavaScript; falls behind past about 20,000 packets/s on one core)
  --inline-publishers   run the publishers on the generator's event loop, as before 2026-12-03 (default:
                        a process of their own on the generator's CPU, at raised priority, so the
                        receivers' work does not hold a frame back and bunch the publishers' frames)
  --no-wire             do not capture the SFU's ports with tcpdump (the SFU-added latency on the wire:
                        kernel timestamps of each packet in and its copies out; needs tcpdump and root)
  --memory-steps N      RSS samples while subscribers join, for the memory-per-subscriber slope (default 4)
  --quiet               no progress lines`;

function int(v: string | undefined, d: number, min: number, max: number): number {
  const n = v === undefined ? d : Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new RangeError(`expected a number in [${min}, ${max}], got ${v}`);
  return n;
}

/** --pacing: a multiple of the bitrate, 0 (frames as bursts) or from 1 to 10. */
export function pacingFactor(value: string | undefined): number {
  const f = value === undefined ? DEFAULT_VIDEO.pacingFactor : Number(value);
  if (!Number.isFinite(f) || (f !== 0 && (f < 1 || f > 10)))
    throw new RangeError(`--pacing expects 0 or a factor from 1 to 10, got ${value}`);
  return f;
}

/** The transports of --transport, in order, each once. */
export function parseTransports(value: string | undefined): BenchTransport[] {
  const list = (value ?? 'ndc,werift')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const out: BenchTransport[] = [];
  for (const t of list) {
    if (t !== 'werift' && t !== 'ndc')
      throw new RangeError(`--transport expects werift and/or ndc, got ${t}`);
    if (!out.includes(t)) out.push(t);
  }
  if (out.length === 0) throw new RangeError('--transport names no transport');
  return out;
}

export function parseMediaArgs(
  argv: string[],
): (MediaBenchOptions & { transports: BenchTransport[] }) | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      publishers: { type: 'string' },
      subscribers: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'find-max': { type: 'boolean', default: false },
      step: { type: 'string' },
      'max-subscribers': { type: 'string' },
      'max-minutes': { type: 'string' },
      'max-loss': { type: 'string' },
      'max-added-p99': { type: 'string' },
      'video-kbps': { type: 'string' },
      fps: { type: 'string' },
      pacing: { type: 'string' },
      'pacing-window-ms': { type: 'string' },
      'no-video': { type: 'boolean', default: false },
      'no-audio': { type: 'boolean', default: false },
      'no-ceiling': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'join-concurrency': { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      via: { type: 'string' },
      transport: { type: 'string' },
      receivers: { type: 'string' },
      'inline-publishers': { type: 'boolean', default: false },
      'no-wire': { type: 'boolean', default: false },
      'memory-steps': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const findMax = values['find-max'];
  const publishers = int(values.publishers, findMax ? 2 : 1, 1, 20);
  const subscribers = int(values.subscribers, findMax ? 4 : 4, 0, 500);
  const outDir = values.out ?? join(BENCH_ROOT, 'results');
  const video = values['no-video']
    ? null
    : {
        ...DEFAULT_VIDEO,
        bitrateBps: int(values['video-kbps'], 1000, 50, 8000) * 1000,
        fps: int(values.fps, 30, 1, 60),
        pacingFactor: pacingFactor(values.pacing),
        pacingWindowMs: int(values['pacing-window-ms'], DEFAULT_VIDEO.pacingWindowMs, 1, 100),
      };
  const audio = values['no-audio'] ? null : { ...DEFAULT_AUDIO };
  if (!video && !audio) throw new RangeError('--no-video and --no-audio leave nothing to send');
  const quiet = values.quiet;
  const via = values.via ?? 'signaling';
  if (via !== 'ipc' && via !== 'signaling')
    throw new RangeError(`--via expects ipc or signaling, got ${via}`);
  const suffix = via === 'signaling' ? '-signaling' : '';
  const transports = parseTransports(values.transport);
  const receivers = values.receivers ?? 'ndc';
  if (receivers !== 'ndc' && receivers !== 'werift')
    throw new RangeError(`--receivers expects ndc or werift, got ${receivers}`);
  const opts: MediaBenchOptions & { transports: BenchTransport[] } = {
    transports,
    receivers,
    inlinePublishers: values['inline-publishers'],
    name:
      values.name ??
      (findMax ? `media-find-max-p${publishers}` : `media-p${publishers}-s${subscribers}`) + suffix,
    publishers,
    subscribers,
    durationS: int(values.duration, findMax ? 5 : 10, 1, 600),
    warmupS: int(values.warmup, findMax ? 2 : 3, 0, 120),
    findMax,
    step: int(values.step, 6, 1, 100),
    maxSubscribers: int(values['max-subscribers'], 150, 1, 500),
    maxMinutes: int(values['max-minutes'], 8, 1, 60),
    maxLossPercent: int(values['max-loss'], 1, 0, 100),
    maxAddedP99Ms: int(values['max-added-p99'], 50, 0, 10_000),
    video,
    audio,
    pin: !values['no-pin'],
    joinConcurrency: int(values['join-concurrency'], 4, 1, 64),
    ceiling: values['no-ceiling'] ? null : {},
    wire: !values['no-wire'],
    memorySteps: int(values['memory-steps'], 4, 2, 50),
    outDir,
    log: quiet ? () => undefined : (line) => console.error(`[bench] ${line}`),
  };
  if (via === 'signaling') opts.via = via;
  if (values['cpu-prof']) opts.cpuProfDir = join(outDir, 'raw');
  return opts;
}

async function main(): Promise<void> {
  const opts = parseMediaArgs(process.argv.slice(2));
  if (!opts) {
    console.log(HELP);
    return;
  }
  // A hard stop, so no load loop can outlive its budget.
  const budgetMs =
    (opts.findMax ? opts.maxMinutes * 60 + 180 : opts.durationS + opts.warmupS + 240) *
    1000 *
    opts.transports.length;
  const guard = setTimeout(() => {
    console.error(`bench:media: exceeded its ${Math.round(budgetMs / 1000)} s budget, exiting`);
    process.exit(3);
  }, budgetMs);
  guard.unref();
  // Each transport in turn on the same pinned cores, then the ceiling once for all of them.
  const reports: MediaReport[] = [];
  for (const transport of opts.transports) {
    opts.log(`transport ${transport}`);
    reports.push(
      await runMediaBench({
        ...opts,
        transport,
        name: opts.transports.length > 1 ? `${opts.name}-${transport}` : opts.name,
        ceiling: null,
      }),
    );
  }
  const ceiling = opts.ceiling ? await runCeiling({ pin: opts.pin, ...opts.ceiling }) : null;
  for (const report of reports) {
    applyCeiling(report, ceiling);
    const file = writeReport(report, opts.outDir);
    console.log(`\n== ${report.setup.transport}\n${reportTable(report)}\n\nwritten: ${file}`);
  }
  if (reports.length > 1) {
    console.log(`\n== side by side (same run, same cores)\n${compareTable(reports)}`);
    mkdirSync(opts.outDir, { recursive: true });
    const file = join(opts.outDir, `${reports[0]!.date.slice(0, 10)}-${opts.name}-compare.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ schema: 'origo.bench.media-compare/1', ceiling, reports }, null, 2)}\n`,
    );
    console.log(`\nwritten: ${file}`);
  }
  // werift leaves timers behind after close; the run is over.
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
