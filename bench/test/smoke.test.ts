import { describe, expect, it } from 'vitest';
import { REQUIRED_FIGURES, runSmoke } from '../src/smoke.js';

describe('bench smoke', () => {
  it('produces a media report with every figure present and finite', async () => {
    const { report, problems } = await runSmoke();
    expect(problems).toEqual([]);
    expect(report.schema).toBe('origo.bench.media/1');
    expect(report.setup.publishers).toBe(1);
    expect(report.setup.subscribers).toBe(2);
    for (const k of REQUIRED_FIGURES) expect(Number.isFinite(report.summary[k])).toBe(true);
    expect(report.ceiling?.modes[0]?.mode).toBe('reused');
    expect(report.targets.map((t) => typeof t.met)).toEqual(Array(6).fill('boolean'));
  }, 90_000);
});
