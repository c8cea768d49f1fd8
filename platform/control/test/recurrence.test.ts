import { describe, expect, it } from 'vitest';
import { AppError } from '@origo/kit';
import { isValidTimeZone, nextOccurrences, parseRule, zonedToInstant } from '../src/recurrence.js';

const starts = (items: Array<{ startsAt: Date }>) => items.map((o) => o.startsAt.toISOString());

describe('recurrence in a time zone', () => {
  it('keeps the wall-clock time across a DST change (Europe/Berlin, spring 2030)', () => {
    // Monday 09:00 in Berlin: CET (+01:00) before 31 March 2030, CEST (+02:00) after.
    const items = nextOccurrences(
      {
        startsAt: new Date('2030-03-18T08:00:00Z'),
        durationMinutes: 30,
        timeZone: 'Europe/Berlin',
        rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4',
      },
      new Date('2030-01-01T00:00:00Z'),
      10,
    );
    expect(starts(items)).toEqual([
      '2030-03-18T08:00:00.000Z',
      '2030-03-25T08:00:00.000Z',
      '2030-04-01T07:00:00.000Z',
      '2030-04-08T07:00:00.000Z',
    ]);
    expect(items[0]!.endsAt.toISOString()).toBe('2030-03-18T08:30:00.000Z');
  });

  it('keeps the wall-clock time across the autumn change (America/New_York, November 2030)', () => {
    const items = nextOccurrences(
      {
        startsAt: new Date('2030-10-31T13:00:00Z'),
        durationMinutes: 60,
        timeZone: 'America/New_York',
        rrule: 'FREQ=DAILY;COUNT=5',
      },
      new Date('2030-10-01T00:00:00Z'),
      10,
    );
    // 09:00 EDT (-04:00) until 3 November, then 09:00 EST (-05:00).
    expect(starts(items)).toEqual([
      '2030-10-31T13:00:00.000Z',
      '2030-11-01T13:00:00.000Z',
      '2030-11-02T13:00:00.000Z',
      '2030-11-03T14:00:00.000Z',
      '2030-11-04T14:00:00.000Z',
    ]);
  });

  it('moves a time inside the spring-forward gap forward by the gap (RFC 5545 3.3.5)', () => {
    // 02:30 does not exist in New York on 10 March 2030; it becomes 03:30 EDT.
    const items = nextOccurrences(
      {
        startsAt: new Date('2030-03-09T07:30:00Z'),
        durationMinutes: 30,
        timeZone: 'America/New_York',
        rrule: 'FREQ=DAILY;COUNT=3',
      },
      new Date('2030-03-01T00:00:00Z'),
      10,
    );
    expect(starts(items)).toEqual([
      '2030-03-09T07:30:00.000Z',
      '2030-03-10T07:30:00.000Z',
      '2030-03-11T06:30:00.000Z',
    ]);
  });

  it('takes the first of two instants for an ambiguous fall-back time', () => {
    // 01:30 happens twice in New York on 3 November 2030; the first is EDT (05:30Z).
    expect(zonedToInstant(new Date(Date.UTC(2030, 10, 3, 1, 30)), 'America/New_York').toISOString()).toBe(
      '2030-11-03T05:30:00.000Z',
    );
    expect(zonedToInstant(new Date(Date.UTC(2030, 10, 4, 1, 30)), 'America/New_York').toISOString()).toBe(
      '2030-11-04T06:30:00.000Z',
    );
  });

  it('lists only occurrences that have not ended, up to count, and honours UNTIL', () => {
    const input = {
      startsAt: new Date('2030-01-07T10:00:00Z'),
      durationMinutes: 60,
      timeZone: 'UTC',
      rrule: 'FREQ=WEEKLY;UNTIL=20300204T100000Z',
    };
    expect(starts(nextOccurrences(input, new Date('2030-01-14T10:30:00Z'), 2))).toEqual([
      '2030-01-14T10:00:00.000Z',
      '2030-01-21T10:00:00.000Z',
    ]);
    expect(starts(nextOccurrences(input, new Date('2030-01-15T00:00:00Z'), 10))).toEqual([
      '2030-01-21T10:00:00.000Z',
      '2030-01-28T10:00:00.000Z',
      '2030-02-04T10:00:00.000Z',
    ]);
    expect(nextOccurrences(input, new Date('2030-03-01T00:00:00Z'), 10)).toEqual([]);
  });

  it('gives a meeting without a rule its single occurrence until it ends', () => {
    const input = {
      startsAt: new Date('2030-01-07T10:00:00Z'),
      durationMinutes: 60,
      timeZone: 'Asia/Tokyo',
      rrule: null,
    };
    expect(starts(nextOccurrences(input, new Date('2030-01-07T10:59:00Z'), 5))).toEqual([
      '2030-01-07T10:00:00.000Z',
    ]);
    expect(nextOccurrences(input, new Date('2030-01-07T11:00:00Z'), 5)).toEqual([]);
  });

  it('expands monthly rules on the local day in zones east of UTC', () => {
    // 08:00 on the 1st in Auckland is the previous day in UTC.
    const items = nextOccurrences(
      {
        startsAt: new Date('2030-01-31T19:00:00Z'),
        durationMinutes: 30,
        timeZone: 'Pacific/Auckland',
        rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3',
      },
      new Date('2030-01-01T00:00:00Z'),
      5,
    );
    expect(starts(items)).toEqual([
      '2030-01-31T19:00:00.000Z',
      '2030-02-28T19:00:00.000Z',
      '2030-03-31T19:00:00.000Z',
    ]);
  });
});

describe('parseRule', () => {
  it('accepts and normalises valid rules', () => {
    expect(parseRule('RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10').text).toBe('FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10');
    expect(parseRule('FREQ=MONTHLY;BYMONTHDAY=15').text).toBe('FREQ=MONTHLY;BYMONTHDAY=15');
  });

  it.each([
    ['', 'empty'],
    ['FREQ=SECONDLY', 'too frequent'],
    ['FREQ=HOURLY;COUNT=3', 'too frequent'],
    ['COUNT=3', 'no FREQ'],
    ['FREQ=DAILY;COUNT=0', 'COUNT out of range'],
    ['FREQ=DAILY;COUNT=5000', 'COUNT out of range'],
    ['FREQ=DAILY;INTERVAL=0', 'INTERVAL out of range'],
    ['FREQ=DAILY;BOGUS=1', 'unknown property'],
    ['DTSTART:20300101T000000Z\nRRULE:FREQ=DAILY', 'DTSTART given'],
    ['FREQ=DAILY;TZID=Europe/Berlin', 'TZID given'],
  ])('refuses %j (%s) with a field violation', (rule) => {
    try {
      parseRule(rule);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).violations[0]?.field).toBe('recurrence.rrule');
    }
  });

  it('knows IANA zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
