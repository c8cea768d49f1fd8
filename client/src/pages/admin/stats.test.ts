import { describe, expect, it } from 'vitest';
import {
  auditParams,
  axisIncrements,
  axisLabels,
  bitrate,
  BitrateTracker,
  chartTop,
  formatBitrate,
  formatDuration,
  formatUsage,
  presentMetrics,
  usageSeries,
} from './stats.js';

describe('bitrate from two byte counter readings', () => {
  it('is bits per second between the readings', () => {
    expect(
      bitrate({ sid: 'RM_1', bytes: 1000, at: 10_000 }, { sid: 'RM_1', bytes: 251_000, at: 12_000 }),
    ).toBe(1_000_000);
  });

  it('is unknown without an earlier reading, after a router restart, or for readings out of order', () => {
    const next = { sid: 'RM_1', bytes: 5000, at: 20_000 };
    expect(bitrate(undefined, next)).toBeNull();
    expect(bitrate({ sid: 'RM_0', bytes: 1000, at: 10_000 }, next)).toBeNull();
    expect(bitrate({ sid: 'RM_1', bytes: 9000, at: 10_000 }, next)).toBeNull();
    expect(bitrate({ sid: 'RM_1', bytes: 1000, at: 20_000 }, next)).toBeNull();
  });

  it('follows each room and participant across polls and forgets those that went away', () => {
    const tracker = new BitrateTracker();
    const first = tracker.update(
      new Map([
        ['room', { sid: 'RM_1', bytes: 0, at: 0 }],
        ['alice', { sid: 'RM_1', bytes: 0, at: 0 }],
      ]),
    );
    expect([...first.values()]).toEqual([null, null]);
    const second = tracker.update(
      new Map([
        ['room', { sid: 'RM_1', bytes: 500_000, at: 4000 }],
        ['bob', { sid: 'RM_1', bytes: 10_000, at: 4000 }],
      ]),
    );
    expect(second.get('room')).toBe(1_000_000);
    expect(second.get('bob')).toBeNull();
    expect(second.has('alice')).toBe(false);
    // Alice comes back: her old reading was forgotten, so no rate from a stale counter.
    const third = tracker.update(new Map([['alice', { sid: 'RM_1', bytes: 900_000, at: 8000 }]]));
    expect(third.get('alice')).toBeNull();
  });
});

describe('formatting', () => {
  it('writes bitrates in kbit/s below a megabit and Mbit/s above', () => {
    expect(formatBitrate(null)).toBe('-');
    expect(formatBitrate(0)).toBe('0 kbit/s');
    expect(formatBitrate(349_600)).toBe('350 kbit/s');
    expect(formatBitrate(1_250_000)).toBe('1.25 Mbit/s');
  });

  it('writes durations as minutes and seconds, with hours from an hour on', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(-5)).toBe('0:00');
  });
});

describe('usage series for the charts', () => {
  it('has every day of the range, sums organizations and leaves empty days at zero', () => {
    const s = usageSeries(
      [
        { day: '2026-05-01', org_id: 'a', participant_minutes: 30, meeting_minutes: 10 },
        { day: '2026-05-01', org_id: 'b', participant_minutes: 12, meeting_minutes: 4 },
        { day: '2026-05-03', org_id: 'a', participant_minutes: 5, meeting_minutes: 5 },
        { day: '2026-06-01', org_id: 'a', participant_minutes: 99, meeting_minutes: 99 },
      ],
      '2026-05-01',
      '2026-05-03',
      ['participant_minutes', 'meeting_minutes'],
    );
    expect(s.days).toEqual([
      Date.UTC(2026, 4, 1) / 1000,
      Date.UTC(2026, 4, 2) / 1000,
      Date.UTC(2026, 4, 3) / 1000,
    ]);
    expect(s.values).toEqual({ participant_minutes: [42, 0, 5], meeting_minutes: [14, 0, 5] });
  });

  it('charts only the metrics billing reports', () => {
    const items = [{ day: '2026-05-01', participant_minutes: 1, meeting_minutes: 1, recording_minutes: 0 }];
    expect(presentMetrics(items, ['participant_minutes', 'recording_minutes', 'storage_gb_days'])).toEqual([
      'participant_minutes',
      'recording_minutes',
    ]);
  });
});

describe('audit filter query', () => {
  it('leaves out empty fields and sends times as UTC instants', () => {
    const result = auditParams({
      actor: ' usr_1 ',
      action: 'user.',
      target: '',
      from: '2026-05-01T09:30',
      to: '',
    });
    expect(result).toEqual({
      ok: true,
      params: { actor: 'usr_1', action: 'user.', from: new Date('2026-05-01T09:30').toISOString() },
    });
  });

  it('refuses a range whose end is not after its start, and a time that does not parse', () => {
    const backwards = auditParams({
      actor: '',
      action: '',
      target: '',
      from: '2026-05-02T00:00',
      to: '2026-05-01T00:00',
    });
    expect(backwards).toEqual({ ok: false, message: 'The end of the time range must be after its start.' });
    expect(auditParams({ actor: '', action: '', target: '', from: 'soon', to: '' }).ok).toBe(false);
  });
});

describe('the top of a usage chart', () => {
  it('leaves headroom above whole numbers', () => {
    expect(chartTop(451)).toBe(497);
    expect(chartTop(1)).toBe(2);
  });

  it('scales small values (a day of egress in GB) to a visible bar', () => {
    expect(chartTop(0.024)).toBe(0.05);
    expect(chartTop(0.005)).toBe(0.01);
    expect(chartTop(0.15)).toBe(0.2);
    expect(chartTop(0.6)).toBe(1);
  });

  it('is 1 when there is nothing to show', () => {
    expect(chartTop(0)).toBe(1);
    expect(chartTop(Number.NaN)).toBe(1);
    expect(chartTop(-Infinity)).toBe(1);
  });
});

describe('usage chart numbers', () => {
  it('shows a small fraction of a GB-day with significant digits, not 0', () => {
    expect(formatUsage(0.000297)).toBe('0.0003');
    expect(formatUsage(0.0123)).toBe('0.012');
    expect(formatUsage(0.25)).toBe('0.25');
    expect(formatUsage(0.1 + 0.2)).toBe('0.3');
    expect(formatUsage(3e-9)).toBe('0.000000003');
  });

  it('keeps whole amounts (minutes) whole and larger fractions to three decimals', () => {
    expect(formatUsage(0)).toBe('0');
    expect(formatUsage(1234)).toBe('1234');
    expect(formatUsage(12.34567)).toBe('12.346');
    expect(formatUsage(2.5)).toBe('2.5');
    expect(formatUsage(7.0000001)).toBe('7');
  });

  it('labels ticks of small fractions each differently', () => {
    // The storage chart of 0.000297 GB-days: uPlot's ticks 0.0001 apart up to chartTop's 0.0005.
    const top = chartTop(0.000297);
    expect(top).toBe(0.0005);
    const labels = axisLabels([0, 0.0001, 0.0002, 0.00030000000000000003, 0.0004, 0.0005]);
    expect(labels).toEqual(['0', '0.0001', '0.0002', '0.0003', '0.0004', '0.0005']);
    expect(new Set(labels).size).toBe(labels.length);
    expect(axisLabels([0, 0.00025, 0.0005])).toEqual(['0', '0.00025', '0.0005']);
    expect(axisLabels([0, 0.5, 1, 1.5])).toEqual(['0', '0.5', '1', '1.5']);
  });

  it('labels whole ticks as whole numbers', () => {
    expect(axisLabels([0, 20, 40, 60])).toEqual(['0', '20', '40', '60']);
    expect(axisLabels([0])).toEqual(['0']);
    expect(axisLabels([])).toEqual([]);
  });

  it('ticks whole numbers for whole amounts only', () => {
    const incrs = axisIncrements([0, 12, 3]);
    expect(incrs?.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(incrs?.every((i) => Number.isInteger(i))).toBe(true);
    expect(axisIncrements([0, 0.000297])).toBeUndefined();
  });
});
