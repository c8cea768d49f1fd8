import { describe, expect, it } from 'vitest';
import {
  meterRecording,
  meterRoom,
  storagePerDay,
  type MeterEvent,
  type RecordingMeterEvent,
} from '../src/metering.js';

const T0 = Date.parse('2026-11-30T09:00:00Z');
const MIN = 60_000;

/**
 * A synthetic day of one organization's room: the room runs 09:00-10:30; alice is there throughout,
 * bob 09:10-09:40 and again 10:00-10:20, carol (two tabs) 09:30-10:00 twice over, dave joins at 10:25
 * and never leaves (the room's end closes his time). The SFU's router is read every 30 minutes and when it
 * closes: 300 MB, 700 MB, then 1 GB sent in all (the final reading at the room's end).
 */
function day(): MeterEvent[] {
  let n = 0;
  const e = (type: MeterEvent['type'], minute: number, identity = '', bytes?: number): MeterEvent => ({
    eventId: `ev-${++n}`,
    type,
    occurredAt: T0 + minute * MIN,
    identity,
    ...(bytes === undefined ? {} : { bytes }),
  });
  return [
    e('room_started', 0),
    e('participant_joined', 0, 'alice'),
    e('participant_joined', 10, 'bob'),
    e('participant_joined', 30, 'carol'),
    e('participant_joined', 30, 'carol'),
    e('egress', 30, '', 300e6),
    e('participant_left', 40, 'bob'),
    e('participant_joined', 60, 'bob'),
    e('participant_left', 60, 'carol'),
    e('participant_left', 60, 'carol'),
    e('participant_left', 80, 'bob'),
    e('participant_joined', 85, 'dave'),
    e('egress', 60, '', 700e6),
    e('participant_left', 90, 'alice'),
    e('egress', 90, '', 1e9),
    e('room_ended', 90),
  ];
}

// alice 90 + bob 30 + 20 + carol 30 * 2 + dave 5 = 205 participant-minutes; the meeting ran 90 minutes;
// the SFU sent 1 GB.
const EXPECTED = [{ day: '2026-11-30', participantMs: 205 * MIN, meetingMs: 90 * MIN, egressBytes: 1e9 }];

/** A deterministic shuffle (mulberry32), so a failure names its seed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('metering a room', () => {
  it('counts participant-minutes and meeting-minutes of a day exactly', () => {
    expect(meterRoom(day())).toEqual(EXPECTED);
  });

  it('gives the same totals whatever order the events arrive in, and with every event sent twice', () => {
    const events = day();
    for (let seed = 1; seed <= 50; seed++) {
      const twice = shuffled([...events, ...shuffled(events, seed * 7)], seed);
      expect(meterRoom(twice), `seed ${seed}`).toEqual(EXPECTED);
    }
  });

  it('does not count time that has not closed yet, and counts it once the late event arrives', () => {
    const events = day();
    const withoutEnd = events.filter((e) => e.type !== 'room_ended');
    const open = meterRoom(withoutEnd);
    // dave is still in and the room has not ended: only the closed intervals count.
    expect(open).toEqual([{ day: '2026-11-30', participantMs: 200 * MIN, meetingMs: 0, egressBytes: 1e9 }]);
    expect(meterRoom([...withoutEnd, ...events.filter((e) => e.type === 'room_ended')])).toEqual(EXPECTED);
  });

  it('counts egress up to the latest reading, and the rest once the final reading arrives', () => {
    const events = day();
    const final = events.filter((e) => e.type === 'egress' && e.bytes === 1e9);
    const before = events.filter((e) => !final.includes(e));
    expect(meterRoom(before)[0]?.egressBytes).toBe(700e6);
    expect(meterRoom([...final, ...before])).toEqual(EXPECTED);
  });

  it("splits egress at midnight UTC by when each reading was taken, and counts all of a restarted router's", () => {
    const start = Date.parse('2026-11-30T23:30:00Z');
    const reading = (id: string, minute: number, bytes: number): MeterEvent => ({
      eventId: id,
      type: 'egress',
      occurredAt: start + minute * MIN,
      identity: '',
      bytes,
    });
    const events = [
      reading('r1', 20, 100),
      reading('r2', 40, 250),
      // The router began again (its counters with it): its 30 bytes are all new.
      reading('r3', 50, 30),
      reading('r4', 60, 80),
    ];
    const expected = [
      { day: '2026-11-30', participantMs: 0, meetingMs: 0, egressBytes: 100 },
      { day: '2026-12-01', participantMs: 0, meetingMs: 0, egressBytes: 150 + 30 + 50 },
    ];
    for (let seed = 1; seed <= 20; seed++)
      expect(meterRoom(shuffled([...events, ...events], seed)), `seed ${seed}`).toEqual(expected);
  });

  it('splits a meeting that runs past midnight UTC between the two days', () => {
    const start = Date.parse('2026-11-30T23:30:00Z');
    const events: MeterEvent[] = [
      { eventId: 'a', type: 'room_started', occurredAt: start, identity: '' },
      { eventId: 'b', type: 'participant_joined', occurredAt: start, identity: 'alice' },
      { eventId: 'c', type: 'room_ended', occurredAt: start + 45 * MIN, identity: '' },
    ];
    expect(meterRoom(events)).toEqual([
      { day: '2026-11-30', participantMs: 30 * MIN, meetingMs: 30 * MIN, egressBytes: 0 },
      { day: '2026-12-01', participantMs: 15 * MIN, meetingMs: 15 * MIN, egressBytes: 0 },
    ]);
  });
});

describe('metering a recording', () => {
  const at = (iso: string) => Date.parse(iso);
  const events: RecordingMeterEvent[] = [
    {
      eventId: 'r:s',
      type: 'recording_started',
      occurredAt: at('2026-11-30T23:40:00Z'),
      bytes: 0,
      durationMs: 0,
    },
    {
      eventId: 'r:r',
      type: 'recording_ready',
      occurredAt: at('2026-12-01T00:05:00Z'),
      bytes: 3e9,
      durationMs: 24 * MIN,
    },
    {
      eventId: 'r:d',
      type: 'recording_deleted',
      occurredAt: at('2026-12-03T12:00:00Z'),
      bytes: 0,
      durationMs: 0,
    },
  ];
  const expected = {
    startedAt: at('2026-11-30T23:40:00Z'),
    recordedMs: 24 * MIN,
    bytes: 3e9,
    storedAt: at('2026-12-01T00:05:00Z'),
    deletedAt: at('2026-12-03T12:00:00Z'),
    days: [
      { day: '2026-11-30', recordingMs: 20 * MIN },
      { day: '2026-12-01', recordingMs: 4 * MIN },
    ],
  };

  it('splits the recorded length at midnight from the start, whatever the order, each event once', () => {
    for (let seed = 1; seed <= 20; seed++)
      expect(meterRecording(shuffled([...events, ...events], seed)), `seed ${seed}`).toEqual(expected);
  });

  it('counts nothing for a recording that failed', () => {
    const failed = meterRecording([
      events[0]!,
      {
        eventId: 'r:f',
        type: 'recording_failed',
        occurredAt: at('2026-12-01T00:00:00Z'),
        bytes: 0,
        durationMs: 0,
      },
    ]);
    expect(failed).toMatchObject({ recordedMs: 0, bytes: 0, storedAt: null, days: [] });
  });

  it('counts storage GB-days per day until the deletion, and up to now while kept', () => {
    const spans = [
      { orgId: 'o', bytes: 3e9, from: at('2026-12-01T00:05:00Z'), to: at('2026-12-03T12:00:00Z') },
      { orgId: 'o', bytes: 1e9, from: at('2026-12-02T12:00:00Z'), to: null },
    ];
    const perDay = storagePerDay(spans, {
      fromDay: '2026-12-01',
      toDay: '2026-12-04',
      now: at('2026-12-03T18:00:00Z'),
    });
    const days = Object.fromEntries(perDay.get('o') ?? []);
    expect(Object.keys(days)).toEqual(['2026-12-01', '2026-12-02', '2026-12-03']);
    expect(days['2026-12-01']).toBeCloseTo((3 * (24 * 60 - 5)) / (24 * 60), 12);
    expect(days['2026-12-02']).toBeCloseTo(3 + 0.5, 12);
    expect(days['2026-12-03']).toBeCloseTo(3 * 0.5 + 18 / 24, 12);
  });
});
