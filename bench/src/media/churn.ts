// npm run bench:churn -- [--transport ndc] [--cycles 1000] [--concurrency 4]
// Leak check by RSS: one publisher stays; subscribers join the SFU child (pinned, IPC), receive their
// first video packet and leave, `cycles` times. The SFU's RSS and JS heap are sampled every 100
// cycles; growth after the warm-up that the heap does not explain points at native memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { machineInfo } from '../machine.js';
import { fmt, round, table } from '../stats.js';
import { Pacer, Recorder, SynthPublisher, SynthSubscriber, waitConnected } from './peers.js';
import { BENCH_ROOT, pinProcess, SfuProcess, type BenchTransport } from './sfuProcess.js';
import { DEFAULT_AUDIO, DEFAULT_VIDEO } from './synthetic.js';

interface Sample {
  cycles: number;
  rssMb: number;
  heapMb: number;
  sfuPeers: number;
  failedSoFar: number;
  seconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      transport: { type: 'string', default: 'ndc' },
      cycles: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '4' },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const transport = values.transport as BenchTransport;
  if (transport !== 'ndc' && transport !== 'werift')
    throw new RangeError('--transport expects ndc or werift');
  const cycles = Number(values.cycles);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(cycles) || cycles < 100 || cycles > 20_000)
    throw new RangeError('--cycles in [100, 20000]');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
    throw new RangeError('--concurrency in [1, 16]');
  const pin = !values['no-pin'];
  const machine = machineInfo();
  // A hard stop: at most 2 s per cycle plus start-up.
  const guard = setTimeout(
    () => {
      console.error('bench:churn exceeded its time budget, exiting');
      process.exit(3);
    },
    (cycles * 2 + 120) * 1000,
  );
  guard.unref();
  if (pin) pinProcess(process.pid, 0);
  const sfu = new SfuProcess({ cpu: pin ? 1 : null, transport });
  const recorder = new Recorder();
  const pacer = new Pacer(5);
  const subs = new Map<string, SynthSubscriber>();
  sfu.on('subscriberOffer', (id, sdp) => {
    const s = subs.get(id);
    if (!s) return;
    s.answer(sdp)
      .then((answer) => sfu.subscriberAnswer(id, answer))
      .catch(() => undefined);
  });
  sfu.on('iceCandidate', (id, target, c) => {
    if (target === 'subscriber') subs.get(id)?.addRemoteCandidate(c);
    else if (id === 'pub') pub.addRemoteCandidate(c);
  });
  const pub = new SynthPublisher('pub', { video: DEFAULT_VIDEO, audio: DEFAULT_AUDIO, seed: 1 });
  const samples: Sample[] = [];
  let failed = 0;
  let done = 0;
  const started = performance.now();
  try {
    await sfu.start();
    await sfu.createPeer('pub', false);
    const { sdp, meta } = await pub.offer();
    await pub.setAnswer(await sfu.publisherOffer('pub', sdp, meta));
    await waitConnected(pub.pc, 15_000, 'publisher');
    pacer.add(pub);
    pub.start(performance.now());
    const sample = async (): Promise<void> => {
      const m = await sfu.measure(true);
      samples.push({
        cycles: done,
        rssMb: round(m.rssBytes / 1e6, 1),
        heapMb: round(m.heapUsedBytes / 1e6, 1),
        sfuPeers: m.peers,
        failedSoFar: failed,
        seconds: round((performance.now() - started) / 1000, 0),
      });
      console.error(
        `[churn] ${done} cycles: SFU RSS ${fmt(m.rssBytes / 1e6, 1)} MB, heap ${fmt(m.heapUsedBytes / 1e6, 1)} MB, failed ${failed}`,
      );
    };
    await sample();
    const one = async (n: number): Promise<void> => {
      const id = `s${n}`;
      const s = new SynthSubscriber(id, recorder, 'sfu');
      subs.set(id, s);
      s.timing.joinStartMs = performance.now();
      try {
        await sfu.createPeer(id, true);
        const deadline = performance.now() + 15_000;
        while (s.timing.firstVideoMs === 0 && performance.now() < deadline) await sleep(10);
        if (s.timing.firstVideoMs === 0) failed++;
      } catch {
        failed++;
      } finally {
        s.close();
        subs.delete(id);
        await sfu.closePeer(id).catch(() => undefined);
      }
    };
    while (done < cycles) {
      const batch = Math.min(concurrency, cycles - done);
      await Promise.all(Array.from({ length: batch }, (_, i) => one(done + i)));
      const before = done;
      done += batch;
      if (Math.floor(done / 100) > Math.floor(before / 100)) await sample();
    }
    // Let closes settle, then the last sample.
    await sleep(2000);
    await sample();
  } finally {
    pacer.stop();
    pub.close();
    for (const s of subs.values()) s.close();
    await sfu.stop();
  }
  const warm = samples.find((s) => s.cycles >= Math.min(200, cycles / 2)) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const span = Math.max(1, last.cycles - warm.cycles);
  const report = {
    schema: 'origo.bench.churn/1',
    date: new Date().toISOString(),
    command: `npm run bench:churn -- ${process.argv.slice(2).join(' ')}`.trim(),
    transport,
    cycles,
    concurrency,
    failed,
    machine,
    machineAtEnd: machineInfo(),
    samples,
    rssGrowthKbPerCycleAfterWarmup: round(((last.rssMb - warm.rssMb) * 1000) / span, 2),
    heapGrowthKbPerCycleAfterWarmup: round(((last.heapMb - warm.heapMb) * 1000) / span, 2),
  };
  console.log(
    table([
      ['cycles', 'SFU RSS MB', 'JS heap MB', 'SFU peers', 'failed', 's'],
      ...samples.map((s) => [
        String(s.cycles),
        fmt(s.rssMb, 1),
        fmt(s.heapMb, 1),
        String(s.sfuPeers),
        String(s.failedSoFar),
        String(s.seconds),
      ]),
    ]),
  );
  console.log(
    `\n${transport}: RSS ${fmt(report.rssGrowthKbPerCycleAfterWarmup, 2)} KB per cycle, heap ${fmt(report.heapGrowthKbPerCycleAfterWarmup, 2)} KB per cycle ` +
      `after ${warm.cycles} cycles; failed joins ${failed}; loadavg ${machine.loadavg.join(' ')} -> ${report.machineAtEnd.loadavg.join(' ')}`,
  );
  const outDir = values.out ?? join(BENCH_ROOT, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${report.date.slice(0, 10)}-churn-${transport}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written: ${file}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
