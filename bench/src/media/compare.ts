// Several transports measured in one invocation: the ceiling relay (run once) applied to each
// report, and the side-by-side table with the machine's load next to the figures.
import type { CeilingResult } from '../ceiling/run.js';
import { fmt, round, table } from '../stats.js';
import type { MediaReport } from './run.js';

function num(v: number): number {
  return Number.isFinite(v) ? round(v, 3) : Number.NaN;
}

/** Puts a ceiling run (taken once for several transports) into a report and its cost ratio. */
export function applyCeiling(report: MediaReport, ceiling: CeilingResult | null): void {
  report.ceiling = ceiling;
  const reused = ceiling?.modes.find((m) => m.mode === 'reused');
  report.summary.costVsCeiling = reused
    ? num(report.summary.sfuCpuUsPerForwardedPacket / reused.cpuUsPerForwardedPacket)
    : null;
}

/** Side by side: one column per transport, the machine's load next to the figures. */
export function compareTable(reports: readonly MediaReport[]): string {
  const col = (f: (r: MediaReport) => string): string[] => reports.map(f);
  const load = (l: number[]): string => l.map((x) => fmt(x, 2)).join(' ');
  const rows: string[][] = [
    ['figure', ...reports.map((r) => r.setup.transport)],
    ['loadavg 1/5/15 at start', ...col((r) => load(r.machine.loadavg))],
    ['loadavg 1/5/15 at end', ...col((r) => load(r.machineAtEnd.loadavg))],
    [
      'share of a core a busy loop got (start; end)',
      ...col(
        (r) =>
          `${r.machine.cpuAvailablePercent.map((a) => fmt(a, 0)).join('/')}; ${r.machineAtEnd.cpuAvailablePercent
            .map((a) => fmt(a, 0))
            .join('/')} %`,
      ),
    ],
    ['publishers / subscribers', ...col((r) => `${r.setup.publishers} / ${r.setup.subscribers}`)],
    ['forwarded packets/s', ...col((r) => fmt(r.summary.forwardedPacketsPerSec, 0))],
    ['SFU CPU (% of one core)', ...col((r) => fmt(r.summary.sfuCpuPercentOfOneCore, 1))],
    ['SFU CPU us per forwarded packet', ...col((r) => fmt(r.summary.sfuCpuUsPerForwardedPacket, 1))],
    [
      'projected forwarded packets/s per core',
      ...col((r) => fmt(r.summary.projectedForwardedPacketsPerSecPerCore, 0)),
    ],
    [
      'SFU cost / ceiling relay (reused)',
      ...col((r) => (r.summary.costVsCeiling === null ? '-' : `${fmt(r.summary.costVsCeiling, 2)}x`)),
    ],
    [
      'SFU RSS MB total / per subscriber',
      ...col((r) => `${fmt(r.summary.sfuRssMb, 0)} / ${fmt(r.summary.sfuRssMbPerSubscriber, 2)}`),
    ],
    [
      'SFU-added latency on the wire p50 / p99 ms',
      ...col(
        (r) => `${fmt(r.summary.wireAddedLatencyP50Ms, 2)} / ${fmt(r.summary.wireAddedLatencyP99Ms, 2)}`,
      ),
    ],
    [
      'SFU-added latency end to end p50 / p99 ms',
      ...col((r) => `${fmt(r.summary.addedLatencyP50Ms, 2)} / ${fmt(r.summary.addedLatencyP99Ms, 2)}`),
    ],
    ['subscriber loss %', ...col((r) => fmt(r.summary.subscriberLossPercent, 3))],
    [
      'join to first video p50 / p95 ms',
      ...col(
        (r) => `${fmt(r.summary.timeToFirstVideoP50Ms, 0)} / ${fmt(r.summary.timeToFirstVideoP95Ms, 0)}`,
      ),
    ],
    ['failed joins', ...col((r) => String(r.summary.joinFailures))],
    ['generator CPU (% of one core)', ...col((r) => fmt(r.summary.generatorCpuPercentOfOneCore, 1))],
    [
      'UDP receive drops SFU / generator',
      ...col((r) => `${r.window.udpReceiveDrops.sfuSockets} / ${r.window.udpReceiveDrops.generatorSockets}`),
    ],
  ];
  return table(rows);
}
