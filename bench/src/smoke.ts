// CI smoke: a few seconds of media through the SFU (1 publisher, 2 subscribers) plus one short
// ceiling mode, then checks that every figure was produced (present and finite). It never checks
// that anything is fast: CI machines vary. npm run bench:smoke -w @origo/bench
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMediaBench, reportTable, writeReport, type MediaReport } from './media/run.js';
import type { BenchReceivers } from './media/session.js';
import { DEFAULT_AUDIO, DEFAULT_VIDEO } from './media/synthetic.js';

/** Figures the smoke requires; each must be a finite number. */
export const REQUIRED_FIGURES = [
  'forwardedPacketsPerSec',
  'forwardedPayloadMbitPerSec',
  'sfuCpuPercentOfOneCore',
  'sfuCpuUsPerForwardedPacket',
  'sfuRssMb',
  'sfuRssMbPerSubscriber',
  'addedLatencyP50Ms',
  'addedLatencyP99Ms',
  'subscriberLossPercent',
  'timeToFirstVideoP50Ms',
  'timeToFirstVideoP95Ms',
  'generatorCpuPercentOfOneCore',
  'costVsCeiling',
] as const satisfies readonly (keyof MediaReport['summary'])[];

export function checkReport(r: MediaReport): string[] {
  const problems: string[] = [];
  for (const k of REQUIRED_FIGURES) {
    const v = r.summary[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`summary.${k} is ${String(v)}`);
  }
  if (r.summary.forwardedPacketsPerSec <= 0) problems.push('nothing was forwarded');
  if (r.summary.joinFailures > 0) problems.push(`${r.summary.joinFailures} joins failed`);
  if (!r.ceiling || r.ceiling.modes.length === 0) problems.push('no ceiling figures');
  for (const m of r.ceiling?.modes ?? []) {
    if (!Number.isFinite(m.cpuUsPerForwardedPacket)) problems.push(`ceiling ${m.mode}: no cost per packet`);
  }
  if (r.targets.length !== 6) problems.push('targets missing');
  return problems;
}

export async function runSmoke(
  outDir?: string,
  receivers: BenchReceivers = 'ndc',
): Promise<{ report: MediaReport; file: string; problems: string[] }> {
  const dir = outDir ?? mkdtempSync(join(tmpdir(), 'origo-bench-smoke-'));
  const report = await runMediaBench({
    name: `smoke-${receivers}`,
    receivers,
    publishers: 1,
    subscribers: 2,
    durationS: 3,
    warmupS: 1,
    findMax: false,
    step: 1,
    maxSubscribers: 2,
    maxMinutes: 1,
    maxLossPercent: 1,
    maxAddedP99Ms: 50,
    video: { ...DEFAULT_VIDEO, bitrateBps: 500_000 },
    audio: { ...DEFAULT_AUDIO },
    // CI runners have their own core layout; the smoke checks the harness, not the figures.
    pin: false,
    joinConcurrency: 2,
    ceiling: { modes: ['reused'], seconds: 1, inputPps: 1000, fanout: 2 },
    outDir: dir,
    log: () => undefined,
  });
  const file = writeReport(report, dir);
  return { report, file, problems: checkReport(report) };
}

const isMain = process.argv[1]?.endsWith('smoke.ts') ?? false;
if (isMain) {
  const guard = setTimeout(() => {
    console.error('bench:smoke: over 55 s, giving up');
    process.exit(3);
  }, 55_000);
  guard.unref();
  runSmoke()
    .then(({ report, file, problems }) => {
      console.log(reportTable(report));
      console.log(`\nwritten: ${file}`);
      if (problems.length > 0) {
        console.error(`bench:smoke: FAILED\n${problems.map((p) => `- ${p}`).join('\n')}`);
        process.exit(1);
      }
      console.log('bench:smoke: ok (figures present and finite)');
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
