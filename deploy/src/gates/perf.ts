// Performance gate: the SFU's CPU per forwarded packet divided by the ceiling relay's (a bare Node
// UDP/SRTP relay measured in the same bench run, bench/README.md). Both pay the same machine's noise, so
// the ratio holds where absolute figures do not. Fails when it rises more than the allowed share above the
// committed baseline (deploy/gates/perf-baseline.json).

export interface PerfBaseline {
  costVsCeiling: number;
  maxRegressionPercent: number;
  /** The bench arguments the baseline was measured with; the gate runs the same. */
  benchArgs: string[];
  measuredOn: string;
}

export interface BenchSummary {
  summary?: {
    costVsCeiling?: number | null;
    sfuCpuUsPerForwardedPacket?: number | null;
    subscriberLossPercent?: number | null;
  };
  machine?: { cpuAvailablePercent?: number[] | number | null };
}

export interface PerfResult {
  ok: boolean;
  ratio: number | undefined;
  limit: number;
  messages: string[];
}

export function evaluatePerf(baseline: PerfBaseline, run: BenchSummary): PerfResult {
  const limit = Math.round(baseline.costVsCeiling * (1 + baseline.maxRegressionPercent / 100) * 1000) / 1000;
  const ratio = run.summary?.costVsCeiling ?? undefined;
  const messages: string[] = [];
  if (ratio === undefined || ratio === null || !Number.isFinite(ratio) || ratio <= 0) {
    messages.push('the bench run has no SFU/ceiling ratio (did the ceiling run?)');
    return { ok: false, ratio: undefined, limit, messages };
  }
  messages.push(
    `SFU cost / ceiling cost = ${ratio} (baseline ${baseline.costVsCeiling}, limit ${limit}); SFU ${run.summary?.sfuCpuUsPerForwardedPacket ?? '?'} us per forwarded packet`,
  );
  const loss = run.summary?.subscriberLossPercent;
  if (loss !== undefined && loss !== null && loss > 1)
    messages.push(
      `note: ${loss}% subscriber loss in this run; see the bench JSON notes for the machine's contention`,
    );
  const ok = ratio <= limit;
  if (!ok)
    messages.push(
      `FAIL: the SFU costs ${Math.round((ratio / baseline.costVsCeiling - 1) * 100)}% more per packet, relative to the ceiling, than the baseline`,
    );
  return { ok, ratio, limit, messages };
}
