// Billing figure: room events per second one billing role meters (received over gRPC in batches as
// control's outbox sends them, stored once by id, the room recomputed and its per-day rows replaced), with
// PGlite on disk as `npm start` uses. The events are whole meetings (start, joins, leaves, end), each
// meeting's events shuffled and a share sent twice, so duplicates and reordering cost what they cost in
// production. The totals are checked at the end.
//   npm run bench:billing -- [--meetings 200] [--participants 10] [--duplicates 0.1] [--batch 200]
//     [--senders 1] [--out file.json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGrpcClient, unary } from '@origo/kit';
import { createBillingService, openBillingDatabase } from '@origo/billing';
import { BillingServiceClient, UsageEvent } from '@origo/proto/billing-rpc';
import { machineInfo } from '../machine.js';
import { round, table } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    meetings: { type: 'string', default: '200' },
    participants: { type: 'string', default: '10' },
    duplicates: { type: 'string', default: '0.1' },
    /** Events per RecordUsageEvents call (control's outbox sends up to 200). */
    batch: { type: 'string', default: '200' },
    /** Calls in flight at once (one per producer replica). */
    senders: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const MEETINGS = Number(args.meetings);
const PARTICIPANTS = Number(args.participants);
const DUPLICATES = Number(args.duplicates);
const BATCH = Number(args.batch);
const SENDERS = Number(args.senders);
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

function meeting(index: number, rnd: () => number): { events: UsageEvent[]; participantMs: number } {
  const base = { orgId: `org_${index % 20}`, meetingId: `mtg_bench${index}`, roomSid: `RM_${index}` };
  const event = (fields: Partial<UsageEvent>) => UsageEvent.fromPartial({ ...base, ...fields });
  const start = DAY0 + index * MIN;
  const length = 30 * MIN;
  const events: UsageEvent[] = [event({ eventId: `${index}-s`, type: 'room_started', occurredAtMs: start })];
  let participantMs = 0;
  for (let p = 0; p < PARTICIPANTS; p++) {
    const from = start + Math.floor(rnd() * 10) * MIN;
    const to = from + Math.floor(1 + rnd() * 19) * MIN;
    participantMs += to - from;
    const identity = `usr_${p}`;
    events.push(
      event({ eventId: `${index}-j${p}`, type: 'participant_joined', identity, occurredAtMs: from }),
      event({ eventId: `${index}-l${p}`, type: 'participant_left', identity, occurredAtMs: to }),
    );
  }
  events.push(event({ eventId: `${index}-e`, type: 'room_ended', occurredAtMs: start + length }));
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  const twice = events.filter(() => rnd() < DUPLICATES);
  return { events: [...events, ...twice], participantMs };
}

const dir = mkdtempSync(join(tmpdir(), 'origo-bench-billing-'));
const database = await openBillingDatabase({ dataDir: dir });
const service = await createBillingService({
  database,
  resolvePrincipal: async () => null,
  // The bench only meters; it never moves an organization to another plan over REST.
  organizations: { lookup: (id) => Promise.resolve({ id, name: id }) },
});
const { grpc } = await service.listen({ host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
const client = createGrpcClient(BillingServiceClient, grpc, { defaultDeadlineMs: 120_000 });
try {
  const rnd = random(42);
  const all: UsageEvent[] = [];
  let expectedParticipantMs = 0;
  for (let i = 0; i < MEETINGS; i++) {
    const m = meeting(i, rnd);
    all.push(...m.events);
    expectedParticipantMs += m.participantMs;
  }
  const batches: UsageEvent[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
  let next = 0;
  let applied = 0;
  const sender = async () => {
    while (next < batches.length) {
      const events = batches[next++]!;
      // Read after the await: `applied += await ...` would read `applied` before it and lose the other
      // senders' counts.
      const answer = await unary(client.recordUsageEvents.bind(client), { events });
      applied += answer.applied;
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: SENDERS }, sender));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const usage = await service.usage.perDay({ from: '2026-11-30', to: '2026-12-01' });
  const participantMs = usage.reduce((sum, u) => sum + u.participantMs, 0);
  const meetingMs = usage.reduce((sum, u) => sum + u.meetingMs, 0);
  const unique = MEETINGS * (2 + 2 * PARTICIPANTS);
  const exact =
    participantMs === expectedParticipantMs && meetingMs === MEETINGS * 30 * MIN && applied === unique;
  const result = {
    meetings: MEETINGS,
    participantsPerMeeting: PARTICIPANTS,
    events: all.length,
    duplicates: all.length - unique,
    batch: BATCH,
    senders: SENDERS,
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
      `totals differ: participant ms ${participantMs} != ${expectedParticipantMs}, meeting ms ${meetingMs}, or ${applied} events applied of ${unique}`,
    );
    process.exitCode = 1;
  }
} finally {
  client.close();
  await service.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
