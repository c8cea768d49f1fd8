import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, exposition } from '../src/metrics.js';
import { parsePrometheusText } from '../src/testing/index.js';

describe('exposition', () => {
  it('spells a NaN sample as the text format does, so a strict reader takes it', async () => {
    const { registry } = createMetrics('kit-test', { defaultMetrics: false });
    const g = new Gauge({
      name: 'origo_test_ratio',
      help: 'a ratio with no data yet',
      registers: [registry],
    });
    g.set(Number.NaN);
    expect(await registry.metrics()).toMatch(/ Nan$/m);
    const text = await exposition(registry);
    expect(text).toContain('origo_test_ratio{service="kit-test"} NaN');
    const { samples } = parsePrometheusText(text);
    expect(Number.isNaN(samples.find((s) => s.name === 'origo_test_ratio')?.value)).toBe(true);
  });

  it('leaves other values and the comment lines as they are', async () => {
    const { registry } = createMetrics('kit-test', { defaultMetrics: false });
    new Gauge({ name: 'origo_test_n', help: 'Nan in help text stays', registers: [registry] }).set(3);
    expect(await exposition(registry)).toBe(await registry.metrics());
  });
});
