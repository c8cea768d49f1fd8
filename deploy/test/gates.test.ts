import { describe, expect, it } from 'vitest';
import { evaluate, readSummary, type Baseline } from '../src/gates/coverage.js';
import { evaluatePerf, type PerfBaseline } from '../src/gates/perf.js';

const lines = (covered: number, total: number) => ({ lines: { covered, total, pct: 0 } });

describe('coverage gate', () => {
  const baseline: Baseline = {
    maxGlobalDropPoints: 1,
    newFileMinPercent: 50,
    globalPercent: 80,
    packages: { '@origo/a': 80 },
  };
  const summary = (
    covered: number,
    files: Record<string, { lines: { covered: number; total: number } }> = {},
  ) => readSummary({ total: lines(covered, 100), ...files });

  it('passes at the baseline and within one point below it', () => {
    expect(
      evaluate({ baseline, summaries: { '@origo/a': summary(79) }, addedSources: [], repoRoot: '/r' }).ok,
    ).toBe(true);
  });

  it('fails when the global figure drops by more than one point', () => {
    const r = evaluate({
      baseline,
      summaries: { '@origo/a': summary(78) },
      addedSources: [],
      repoRoot: '/r',
    });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/78% is 2 points below the baseline 80%/);
  });

  it('leaves generated code out of the figures', () => {
    const s = readSummary({
      total: lines(10, 110),
      '/r/proto/src/gen/x.ts': lines(0, 100),
      '/r/proto/src/json.ts': lines(10, 10),
    });
    const r = evaluate({ baseline, summaries: { '@origo/a': s }, addedSources: [], repoRoot: '/r' });
    expect(r.packages['@origo/a']).toBe(100);
  });

  it('fails when an added source file is untested or never loaded', () => {
    const s = summary(80, { '/r/pkg/src/new.ts': lines(1, 20), '/r/pkg/src/ok.ts': lines(15, 20) });
    const r = evaluate({
      baseline,
      summaries: { '@origo/a': s },
      addedSources: ['pkg/src/new.ts', 'pkg/src/ok.ts', 'pkg/src/ghost.ts'],
      repoRoot: '/r',
    });
    const files = r.problems.filter((p) => p.startsWith('pkg/'));
    expect(files).toEqual([
      'pkg/src/new.ts: added with 5% line coverage (at least 50% expected)',
      'pkg/src/ghost.ts: added but never loaded by a test',
    ]);
  });
});

describe('performance gate', () => {
  const baseline: PerfBaseline = {
    costVsCeiling: 2,
    maxRegressionPercent: 15,
    benchArgs: [],
    measuredOn: '2026-11-30',
  };

  it('passes a ratio within 15 % of the baseline and fails one above', () => {
    expect(evaluatePerf(baseline, { summary: { costVsCeiling: 2.29 } }).ok).toBe(true);
    const slow = evaluatePerf(baseline, { summary: { costVsCeiling: 2.5 } });
    expect(slow.ok).toBe(false);
    expect(slow.messages.join('\n')).toMatch(/25% more per packet/);
  });

  it('fails a run without a ceiling measurement rather than passing it', () => {
    expect(evaluatePerf(baseline, { summary: { costVsCeiling: null } }).ok).toBe(false);
  });
});
