// Billing figure: room events per second one billing role meters (taken off the bus, stored once by id,
// the room recomputed and its per-day rows replaced), with PGlite on disk as `npm start` uses. The events
// are whole meetings (start, joins, leaves, end), each meeting's events shuffled and a share sent twice,
// so duplicates and reordering cost what they cost in production. The totals are checked at the end.
//   npm run bench:billing -- [--meetings 200] [--participants 10] [--duplicates 0.1] [--out file.json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBusKv } from '@origo/kit/bus';
import { createBillingService, openBillingDatabase } from '@origo/billing';
import { ROOM_EVENTS_CHANNEL, type RoomEventMessage } from '@origo/control/contracts';
import { machineInfo } from '../machine.js';
import { round, table } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    meetings: { type: 'string', default: '200' },
    participants: { type: 'string', default: '10' },
    duplicates: { type: 'string', default: '0.1' },
    out: { type: 'string' },
  },
});
const MEETINGS = Number(args.meetings);
const PARTICIPANTS = Number(args.participants);
const DUPLICATES = Number(args.duplicates);
const MIN = 60_000;
const DAY0 = Date.parse('2026-11-30T08:00:00Z');

/** Deterministic pseudo-random numbers (mulberry32), so every run meters the same events. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function meeting(index: number, rnd: () => number): { events: RoomEventMessage[]; participantMs: number } {
  const base = {
    v: 1 as const,
    org_id: `org_${index % 20}`,
    meeting_id: `mtg_bench${index}`,
    room_sid: `RM_${index}`,
    participant_count: 0,
  };
  const start = DAY0 + index * MIN;
  const length = 30 * MIN;
  const events: RoomEventMessage[] = [
    { ...base, event_id: `${index}-s`, type: 'room_started', identity: '', occurred_at_ms: start },
  ];
  let participantMs = 0;
  for (let p = 0; p < PARTICIPANTS; p++) {
    const from = start + Math.floor(rnd() * 10) * MIN;
    const to = from + Math.floor(1 + rnd() * 19) * MIN;
    participantMs += to - from;
    const identity = `usr_${p}`;
    events.push(
      { ...base, event_id: `${index}-j${p}`, type: 'participant_joined', identity, occurred_at_ms: from },
      { ...base, event_id: `${index}-l${p}`, type: 'participant_left', identity, occurred_at_ms: to },
    );
  }
  events.push({
    ...base,
    event_id: `${index}-e`,
    type: 'room_ended',
    identity: '',
    occurred_at_ms: start + length,
  });
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  const twice = events.filter(() => rnd() < DUPLICATES);
  return { events: [...events, ...twice], participantMs };
}

const dir = mkdtempSync(join(tmpdir(), 'origo-bench-billing-'));
const database = await openBillingDatabase({ dataDir: dir });
const busKv = await createBusKv({ namespace: 'bench-billing:' });
const service = await createBillingService({ database, bus: busKv.bus, resolvePrincipal: async () => null });
try {
  const rnd = random(42);
  const all: RoomEventMessage[] = [];
  let expectedParticipantMs = 0;
  for (let i = 0; i < MEETINGS; i++) {
    const m = meeting(i, rnd);
    all.push(...m.events);
    expectedParticipantMs += m.participantMs;
  }
  const started = process.hrtime.bigint();
  for (const e of all) await busKv.bus.publish(ROOM_EVENTS_CHANNEL, e);
  await service.idle();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const usage = await service.usage.perDay({ from: '2026-11-30', to: '2026-12-01' });
  const participantMs = usage.reduce((sum, u) => sum + u.participantMs, 0);
  const meetingMs = usage.reduce((sum, u) => sum + u.meetingMs, 0);
  const exact = participantMs === expectedParticipantMs && meetingMs === MEETINGS * 30 * MIN;
  const result = {
    meetings: MEETINGS,
    participantsPerMeeting: PARTICIPANTS,
    events: all.length,
    duplicates: all.length - MEETINGS * (2 + 2 * PARTICIPANTS),
    seconds: round(seconds, 2),
    eventsPerSecond: round(all.length / seconds, 0),
    exact,
    machine: machineInfo(),
    loadavg: loadavg().map((l) => round(l, 2)),
  };
  console.log(
    table([
      ['events', 'duplicates', 'seconds', 'events/s', 'totals exact'],
      [result.events, result.duplicates, result.seconds, result.eventsPerSecond, exact].map(String),
    ]),
  );
  if (args.out !== undefined) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  if (!exact) {
    console.error(
      `totals differ: participant ms ${participantMs} != ${expectedParticipantMs}, or meeting ms ${meetingMs}`,
    );
    process.exitCode = 1;
  }
} finally {
  await service.close();
  await busKv.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
