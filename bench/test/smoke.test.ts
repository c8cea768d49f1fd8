import { describe, expect, it } from 'vitest';
import { REQUIRED_FIGURES, runSmoke } from '../src/smoke.js';

describe('bench smoke', () => {
  // ndc: the default generator receivers (libdatachannel); werift: the JavaScript ones, kept for
  // comparison. The SFU is on werift in both, so the ndc run is also a cross-stack interop check.
  it.each(['ndc', 'werift'] as const)(
    'produces a media report with every figure present and finite (%s receivers)',
    async (receivers) => {
      const { report, problems } = await runSmoke(undefined, receivers);
      expect(problems).toEqual([]);
      expect(report.schema).toBe('origo.bench.media/1');
      expect(report.setup.receivers).toBe(receivers);
      expect(report.setup.publishers).toBe(1);
      expect(report.setup.subscribers).toBe(2);
      for (const k of REQUIRED_FIGURES) expect(Number.isFinite(report.summary[k])).toBe(true);
      expect(report.summary.subscriberLossPercent).toBeLessThan(50);
      expect(report.ceiling?.modes[0]?.mode).toBe('reused');
      expect(report.targets.map((t) => typeof t.met)).toEqual(Array(6).fill('boolean'));
    },
    90_000,
  );
});
