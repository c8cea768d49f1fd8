// Usage of one room instance from its events, as a pure function: the same set of events gives the same
// totals whatever order they arrived in, so the store recomputes a room from all its events whenever one
// arrives (late or out of order) and replaces the room's rows.

export type RoomEventKind = 'room_started' | 'room_ended' | 'participant_joined' | 'participant_left';

export interface MeterEvent {
  eventId: string;
  type: RoomEventKind;
  /** ms since the epoch. */
  occurredAt: number;
  /** The participant (join token `sub`); empty for room events. */
  identity: string;
}

export interface DayUsage {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  participantMs: number;
  meetingMs: number;
}

const DAY_MS = 86_400_000;

// At the same millisecond a room starts before anyone joins, and people leave before it ends.
const ORDER: Record<RoomEventKind, number> = {
  room_started: 0,
  participant_joined: 1,
  participant_left: 2,
  room_ended: 3,
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
    let row = days.get(day);
    if (row === undefined) {
      row = { day, participantMs: 0, meetingMs: 0 };
      days.set(day, row);
    }
    row[field] += end - start;
    start = end;
  }
}

/**
 * Meeting time runs from the room's start to its end; participant time from each join to the matching
 * leave (the earliest open join of that identity, so two sessions of one identity count twice) or to the
 * room's end. Intervals still open (no leave, no end yet) are not counted until they close. Duplicate
 * event ids count once.
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
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}
