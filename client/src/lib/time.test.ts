import { describe, expect, it } from 'vitest';
import { describeRrule, rruleFor, zonedToInstant } from './time.js';

describe('zoned wall time to instant', () => {
  it('converts in winter and summer time', () => {
    expect(zonedToInstant('2025-01-15', '09:30', 'Europe/Berlin').toISOString()).toBe(
      '2025-01-15T08:30:00.000Z',
    );
    expect(zonedToInstant('2025-07-15', '09:30', 'Europe/Berlin').toISOString()).toBe(
      '2025-07-15T07:30:00.000Z',
    );
    expect(zonedToInstant('2025-07-15', '09:30', 'America/New_York').toISOString()).toBe(
      '2025-07-15T13:30:00.000Z',
    );
    expect(zonedToInstant('2025-07-15', '09:30', 'UTC').toISOString()).toBe('2025-07-15T09:30:00.000Z');
  });

  it('moves a time in the spring-forward gap past the gap', () => {
    // 02:30 does not exist in Berlin on 2025-03-30; 03:30 CEST is 01:30Z.
    expect(zonedToInstant('2025-03-30', '02:30', 'Europe/Berlin').toISOString()).toBe(
      '2025-03-30T01:30:00.000Z',
    );
  });

  it('rejects malformed input', () => {
    expect(() => zonedToInstant('15.01.2025', '09:30', 'UTC')).toThrow(RangeError);
  });
});

describe('recurrence', () => {
  it('writes RRULEs for each choice', () => {
    expect(rruleFor('none', '2025-01-15', 5)).toBeNull();
    expect(rruleFor('daily', '2025-01-15', 5)).toBe('FREQ=DAILY;COUNT=5');
    expect(rruleFor('weekly', '2025-01-15', 10)).toBe('FREQ=WEEKLY;BYDAY=WE;COUNT=10');
    expect(rruleFor('weekdays', '2025-01-15', 1)).toBe('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=2');
  });

  it('describes them in words', () => {
    expect(describeRrule('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20')).toBe('Every weekday, 20 times');
    expect(describeRrule(null)).toBe('');
  });
});
