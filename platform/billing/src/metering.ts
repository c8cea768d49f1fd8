// Usage of one room instance from its events, as a pure function: the same set of events gives the same
// totals whatever order they arrived in, so the store recomputes a room from all its events whenever one
// arrives (late or out of order) and replaces the room's rows.

export type RoomEventKind =
  'room_started' | 'room_ended' | 'participant_joined' | 'participant_left' | 'egress';

export interface MeterEvent {
  eventId: string;
  type: RoomEventKind;
  /** ms since the epoch. */
  occurredAt: number;
  /** The participant (join token `sub`); empty for room events. */
  identity: string;
  /** `egress`: the bytes the room's SFU router had sent since it was created when it was read. */
  bytes?: number;
}

export interface DayUsage {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  participantMs: number;
  meetingMs: number;
  /** Bytes the SFU sent to the room's participants that day (an estimate from its RTP payload counters). */
  egressBytes: number;
}

const DAY_MS = 86_400_000;

// At the same millisecond a room starts before anyone joins, and people leave before it ends.
const ORDER: Record<RoomEventKind, number> = {
  room_started: 0,
  participant_joined: 1,
  participant_left: 2,
  egress: 3,
  room_ended: 4,
};

function compare(a: MeterEvent, b: MeterEvent): number {
  return (
    a.occurredAt - b.occurredAt ||
    ORDER[a.type] - ORDER[b.type] ||
    (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)
  );
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayRow(days: Map<string, DayUsage>, day: string): DayUsage {
  let row = days.get(day);
  if (row === undefined) {
    row = { day, participantMs: 0, meetingMs: 0, egressBytes: 0 };
    days.set(day, row);
  }
  return row;
}

/**
 * Egress from the router's readings: each reading's growth over the one before counts on the UTC day it was
 * taken. Readings are ordered by time (then size), so arrival order does not matter; a reading smaller than
 * the one before means the router's counters began again (a router re-created under the same room instance),
 * so all of it is new.
 */
function addEgress(days: Map<string, DayUsage>, readings: readonly MeterEvent[]): void {
  const sorted = readings
    .filter((e) => e.bytes !== undefined && Number.isFinite(e.bytes) && e.bytes >= 0)
    .sort(
      (a, b) =>
        a.occurredAt - b.occurredAt ||
        (a.bytes ?? 0) - (b.bytes ?? 0) ||
        (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
    );
  let previous = 0;
  for (const e of sorted) {
    const total = e.bytes ?? 0;
    const grown = total >= previous ? total - previous : total;
    if (grown > 0) dayRow(days, utcDay(e.occurredAt)).egressBytes += grown;
    previous = total;
  }
}

/** Adds the interval [from, to) to `days`, split at UTC midnights. */
function addInterval(
  days: Map<string, DayUsage>,
  from: number,
  to: number,
  field: 'participantMs' | 'meetingMs',
) {
  let start = from;
  while (start < to) {
    const midnight = (Math.floor(start / DAY_MS) + 1) * DAY_MS;
    const end = Math.min(to, midnight);
    const day = utcDay(start);
    dayRow(days, day)[field] += end - start;
    start = end;
  }
}

/**
 * Meeting time runs from the room's start to its end; participant time from each join to the matching
 * leave (the earliest open join of that identity, so two sessions of one identity count twice) or to the
 * room's end. Intervals still open (no leave, no end yet) are not counted until they close. Egress counts
 * as its readings arrive (addEgress), also after the room's end. Duplicate event ids count once.
 */
export function meterRoom(events: readonly MeterEvent[]): DayUsage[] {
  const unique = new Map<string, MeterEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const sorted = [...unique.values()].sort(compare);

  const days = new Map<string, DayUsage>();
  let startedAt: number | undefined;
  let endedAt: number | undefined;
  const open = new Map<string, number[]>();
  for (const e of sorted) {
    switch (e.type) {
      case 'room_started':
        startedAt ??= e.occurredAt;
        break;
      case 'room_ended':
        endedAt = e.occurredAt;
        break;
      case 'participant_joined': {
        if (endedAt !== undefined) break;
        const starts = open.get(e.identity);
        if (starts === undefined) open.set(e.identity, [e.occurredAt]);
        else starts.push(e.occurredAt);
        break;
      }
      case 'participant_left': {
        const from = open.get(e.identity)?.shift();
        if (from !== undefined) addInterval(days, from, e.occurredAt, 'participantMs');
        break;
      }
    }
    if (e.type === 'room_ended') {
      for (const starts of open.values())
        for (const from of starts) addInterval(days, from, e.occurredAt, 'participantMs');
      open.clear();
    }
  }
  if (startedAt !== undefined && endedAt !== undefined && endedAt > startedAt)
    addInterval(days, startedAt, endedAt, 'meetingMs');
  addEgress(
    days,
    sorted.filter((e) => e.type === 'egress'),
  );
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

// Recordings ---------------------------------------------------------------------------------------

export type RecordingEventKind =
  'recording_started' | 'recording_ready' | 'recording_failed' | 'recording_deleted';

export interface RecordingMeterEvent {
  eventId: string;
  type: RecordingEventKind;
  /** ms since the epoch. */
  occurredAt: number;
  /** `recording_ready`: bytes kept in the storage. */
  bytes: number;
  /** `recording_ready`: the recording's length in ms. */
  durationMs: number;
}

export interface RecordingUsage {
  /** When the recording started; null until that event arrived. */
  startedAt: number | null;
  /** The length of the recording kept; 0 until it is ready, and for a failed one. */
  recordedMs: number;
  /** Bytes it keeps in the storage while stored. */
  bytes: number;
  /** When its file was stored (ready); null while recording, and for a failed one. */
  storedAt: number | null;
  /** When it was deleted (by hand or by the retention job); null while kept. */
  deletedAt: number | null;
  /** Recording time per UTC day. */
  days: Array<{ day: string; recordingMs: number }>;
}

const RECORDING_ORDER: Record<RecordingEventKind, number> = {
  recording_started: 0,
  recording_ready: 1,
  recording_failed: 2,
  recording_deleted: 3,
};

/**
 * A recording's usage from its events, whatever order they arrived in. Recording time is the length of
 * the file kept (from `recording_ready`), placed from the recording's start (or, before the start event
 * arrived, ending when it became ready) and split at UTC midnights; a failed recording keeps nothing and
 * counts no time. Storage runs from ready to deleted. Duplicate event ids count once.
 */
export function meterRecording(events: readonly RecordingMeterEvent[]): RecordingUsage {
  const unique = new Map<string, RecordingMeterEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const sorted = [...unique.values()].sort(
    (a, b) =>
      a.occurredAt - b.occurredAt ||
      RECORDING_ORDER[a.type] - RECORDING_ORDER[b.type] ||
      (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
  );
  const first = (type: RecordingEventKind) => sorted.find((e) => e.type === type);
  const started = first('recording_started');
  const ready = first('recording_ready');
  const deleted = first('recording_deleted');
  const usage: RecordingUsage = {
    startedAt: started?.occurredAt ?? null,
    recordedMs: 0,
    bytes: 0,
    storedAt: null,
    deletedAt: deleted?.occurredAt ?? null,
    days: [],
  };
  if (ready === undefined) return usage;
  usage.recordedMs = Math.max(0, ready.durationMs);
  usage.bytes = Math.max(0, ready.bytes);
  usage.storedAt = ready.occurredAt;
  const from = started?.occurredAt ?? ready.occurredAt - usage.recordedMs;
  const days = new Map<string, DayUsage>();
  addInterval(days, from, from + usage.recordedMs, 'participantMs');
  usage.days = [...days.values()]
    .sort((a, b) => (a.day < b.day ? -1 : 1))
    .map((d) => ({ day: d.day, recordingMs: d.participantMs }));
  return usage;
}

/** Bytes one recording keeps from `from` until `to` (null: still kept). */
export interface StoredSpan {
  orgId: string;
  bytes: number;
  from: number;
  to: number | null;
}

const GB = 1e9;

/**
 * Storage in GB-days (10^9 bytes kept for 24 hours) per organization and UTC day from `fromDay` to
 * `toDay`, counting what is still kept up to `now` and nothing after it.
 */
export function storagePerDay(
  spans: readonly StoredSpan[],
  range: { fromDay: string; toDay: string; now: number },
): Map<string, Map<string, number>> {
  const rangeStart = Date.parse(`${range.fromDay}T00:00:00Z`);
  const rangeEnd = Math.min(Date.parse(`${range.toDay}T00:00:00Z`) + DAY_MS, range.now);
  const out = new Map<string, Map<string, number>>();
  for (const s of spans) {
    if (s.bytes <= 0) continue;
    let start = Math.max(s.from, rangeStart);
    const end = Math.min(s.to ?? range.now, rangeEnd);
    let perDay = out.get(s.orgId);
    while (start < end) {
      const midnight = (Math.floor(start / DAY_MS) + 1) * DAY_MS;
      const stop = Math.min(end, midnight);
      if (perDay === undefined) out.set(s.orgId, (perDay = new Map()));
      const day = utcDay(start);
      perDay.set(day, (perDay.get(day) ?? 0) + ((s.bytes / GB) * (stop - start)) / DAY_MS);
      start = stop;
    }
  }
  return out;
}
