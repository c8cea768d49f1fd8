// Room events for invoice tests, in the shape billing meters (UsageStore.recordBatch).
import type { UsageEvent } from '../src/usage.js';

const MIN = 60_000;

/** A room of `orgId` from `startIso` for `minutes`: each of `people` joins at its start and stays the minutes given. */
export function room(
  orgId: string,
  meetingId: string,
  startIso: string,
  people: Array<[string, number]>,
  minutes: number,
): UsageEvent[] {
  const start = Date.parse(startIso);
  const base = { orgId, meetingId, roomSid: `rm-${meetingId}` };
  return [
    { ...base, eventId: `${meetingId}-start`, type: 'room_started', identity: '', occurredAt: start },
    ...people.flatMap(([identity, stay], i): UsageEvent[] => [
      { ...base, eventId: `${meetingId}-j${i}`, type: 'participant_joined', identity, occurredAt: start },
      {
        ...base,
        eventId: `${meetingId}-l${i}`,
        type: 'participant_left',
        identity,
        occurredAt: start + stay * MIN,
      },
    ]),
    {
      ...base,
      eventId: `${meetingId}-end`,
      type: 'room_ended',
      identity: '',
      occurredAt: start + minutes * MIN,
    },
  ];
}
