import { ConnectionQuality } from '@origo/proto/signal';
import { describe, expect, it } from 'vitest';
import { lossBetween, qualityFromSample, qualityLabel } from './quality.js';

describe('connection quality', () => {
  it('buckets loss and round-trip time', () => {
    expect(qualityFromSample({ lossRatio: 0, rttMs: 40, flowing: true })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_EXCELLENT,
    );
    expect(qualityFromSample({ lossRatio: 0.05, rttMs: 40, flowing: true })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_GOOD,
    );
    expect(qualityFromSample({ lossRatio: 0, rttMs: 600, flowing: true })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_POOR,
    );
    expect(qualityFromSample({ lossRatio: 0, rttMs: 0, flowing: false })).toBe(
      ConnectionQuality.CONNECTION_QUALITY_LOST,
    );
  });

  it('computes interval loss from cumulative counters', () => {
    expect(lossBetween({ received: 100, lost: 0 }, { received: 190, lost: 10 })).toBe(0.1);
    expect(lossBetween({ received: 100, lost: 5 }, { received: 100, lost: 5 })).toBe(0);
  });

  it('labels in plain text', () => {
    expect(qualityLabel(ConnectionQuality.CONNECTION_QUALITY_POOR)).toBe('Poor');
    expect(qualityLabel(ConnectionQuality.CONNECTION_QUALITY_UNSPECIFIED)).toBe('Unknown');
  });
});
