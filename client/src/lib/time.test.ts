import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  currentZoneName,
  describeRrule,
  formatMeetingTime,
  formatWhen,
  rruleFor,
  timeZoneChoices,
  zonedToInstant,
} from './time.js';

// The dates below are in 2025; the clock is set in 2025 too, so they read as this year's (no year shown).
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-06-01T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

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

describe('dates on meeting cards', () => {
  it('writes every date and time in one format, with the zone named', () => {
    expect(formatWhen('2025-07-15T07:30:00Z', 'Europe/Berlin', 'en-GB')).toBe('Tue 15 Jul, 09:30 CEST');
    expect(formatWhen('2025-01-15T08:30:00Z', 'Europe/Berlin', 'en-GB')).toBe('Wed 15 Jan, 09:30 CET');
    // A Date and its ISO text read the same.
    const d = new Date('2025-07-15T07:30:00Z');
    expect(formatWhen(d, 'UTC', 'en-US')).toBe(formatWhen(d.toISOString(), 'UTC', 'en-US'));
    expect(formatWhen(d, 'UTC', 'en-US')).toMatch(/^Tue, Jul 15, 7:30 AM UTC$/);
  });

  it('names the year of a date in another year than now, in that zone, and only then', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    // A start in the past (a mistyped year) must not read as next January.
    expect(formatWhen('2020-01-01T13:00:00Z', 'UTC', 'en-US', now)).toBe('Wed, Jan 1, 2020, 1:00 PM UTC');
    expect(formatWhen('2027-01-15T13:00:00Z', 'UTC', 'en-US', now)).toBe('Fri, Jan 15, 2027, 1:00 PM UTC');
    expect(formatWhen('2026-07-15T07:30:00Z', 'UTC', 'en-US', now)).toBe('Wed, Jul 15, 7:30 AM UTC');
    expect(formatWhen('2020-01-01T13:00:00Z', 'Europe/Berlin', 'en-GB', now)).toMatch(/2020/);
    // The year is the one in the zone shown: New Year's Eve in UTC is already next year in Tokyo.
    const eve = new Date('2026-12-31T20:00:00Z');
    expect(formatWhen(eve, 'UTC', 'en-US', eve)).toBe('Thu, Dec 31, 8:00 PM UTC');
    expect(formatWhen(eve, 'Asia/Tokyo', 'en-US', now)).toMatch(/^Fri, Jan 1, 2027, 5:00 AM GMT\+9$/);
    // Without `now`, the clock's year: a date this year shows none.
    expect(formatWhen('2025-03-01T12:00:00Z', 'UTC', 'en-US')).toBe('Sat, Mar 1, 12:00 PM UTC');
    expect(formatMeetingTime('2020-01-01T13:00:00Z', 'America/New_York', 'UTC', 'en-US', now)).toBe(
      'Wed, Jan 1, 2020, 1:00 PM UTC (8:00 AM in New York)',
    );
  });

  it("uses the browser's zone when none is given, and says Now for a meeting without a start", () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const iso = '2025-07-15T07:30:00Z';
    expect(formatWhen(iso, undefined, 'en-GB')).toBe(formatWhen(iso, zone, 'en-GB'));
    expect(formatWhen(null, 'UTC')).toBe('Now');
  });
});

describe('a meeting time for the person reading it', () => {
  const iso = '2025-07-15T13:30:00Z';
  it("is the reader's own time alone when the meeting was scheduled on the same clock", () => {
    expect(formatMeetingTime(iso, 'Europe/Berlin', 'Europe/Berlin', 'en-GB')).toBe('Tue 15 Jul, 15:30 CEST');
    // Another zone on the same clock at that moment adds nothing.
    expect(formatMeetingTime(iso, 'Europe/Paris', 'Europe/Berlin', 'en-GB')).toBe('Tue 15 Jul, 15:30 CEST');
  });

  it('adds the time where it was scheduled when that clock differs, with the weekday if the day does', () => {
    expect(formatMeetingTime(iso, 'America/New_York', 'Europe/Berlin', 'en-GB')).toBe(
      'Tue 15 Jul, 15:30 CEST (09:30 in New York)',
    );
    expect(formatMeetingTime('2025-07-15T20:00:00Z', 'Asia/Tokyo', 'Europe/Berlin', 'en-GB')).toBe(
      'Tue 15 Jul, 22:00 CEST (Wed 05:00 in Tokyo)',
    );
    expect(formatMeetingTime('2025-07-15T20:00:00Z', 'America/Los_Angeles', 'Europe/Berlin', 'en-GB')).toBe(
      'Tue 15 Jul, 22:00 CEST (13:00 in Los Angeles)',
    );
  });

  it("says Now for a meeting without a start, and uses the browser's zone by default", () => {
    expect(formatMeetingTime(null, 'Asia/Tokyo')).toBe('Now');
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(formatMeetingTime(iso, zone, undefined, 'en-GB')).toBe(formatWhen(iso, zone, 'en-GB'));
  });
});

describe('time zone names', () => {
  it('offers the zones under the names people know now, each once, sorted', () => {
    const zones = timeZoneChoices();
    for (const now of ['Asia/Kolkata', 'Europe/Kyiv', 'Asia/Ho_Chi_Minh', 'Asia/Kathmandu', 'UTC'])
      expect(zones).toContain(now);
    for (const old of ['Asia/Calcutta', 'Europe/Kiev', 'Asia/Saigon', 'Asia/Katmandu', 'Africa/Asmera'])
      expect(zones).not.toContain(old);
    expect(new Set(zones).size).toBe(zones.length);
    expect([...zones].sort()).toEqual(zones);
  });

  it('renames only the renamed ones, and a meeting kept under an old name reads under the new one', () => {
    expect(currentZoneName('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(currentZoneName('Europe/Berlin')).toBe('Europe/Berlin');
    expect(formatMeetingTime('2025-07-15T13:30:00Z', 'Europe/Kiev', 'Europe/Berlin', 'en-GB')).toBe(
      'Tue 15 Jul, 15:30 CEST (16:30 in Kyiv)',
    );
  });
});
