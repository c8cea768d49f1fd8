// Metering: room events in, usage per organization and UTC day out. Each event is stored once (its id is
// the key); the room it belongs to is then recomputed from all of its events (metering.ts) under a row
// lock of the room, and the room's per-day rows are replaced. Duplicates change nothing, and a late or
// out-of-order event corrects the totals of the days it touches. Recordings are metered the same way
// (recording-usage.ts); `perDay` joins both with storage GB-days into one row per organization and day.
import { and, asc, eq, gte, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from './audit.js';
import { meteredEvents, meteredRooms, roomDayUsage } from './db/schema.js';
import { meterRoom, storagePerDay, type MeterEvent, type RoomEventKind } from './metering.js';
import { RecordingUsageStore } from './recording-usage.js';

export interface UsageEvent {
  eventId: string;
  orgId: string;
  meetingId: string;
  roomSid: string;
  type: RoomEventKind;
  identity: string;
  occurredAt: number;
  /** `egress`: the router's sent-bytes total at the reading. */
  bytes?: number;
}

export interface OrgDayUsage {
  orgId: string;
  day: string;
  participantMs: number;
  meetingMs: number;
  /** Recording time that day (recordings' lengths, split at UTC midnights). */
  recordingMs: number;
  /** Recordings kept in the storage that day, in GB-days (10^9 bytes for 24 hours); today up to now. */
  storageGbDays: number;
  /** Bytes the SFU sent to the organization's meetings that day (an estimate from its payload counters). */
  egressBytes: number;
}

/** The room instance an event belongs to: a meeting's room between one start and its end. */
export function roomKeyOf(event: Pick<UsageEvent, 'meetingId' | 'roomSid'>): string {
  return `${event.meetingId}/${event.roomSid}`;
}

export class UsageStore {
  /** Recording time and storage, metered from the recording service's events. */
  readonly recordings: RecordingUsageStore;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.recordings = new RecordingUsageStore(db);
  }

  /** Records one event; false when its id was recorded before (nothing changes then). */
  async record(event: UsageEvent): Promise<boolean> {
    return (await this.recordBatch([event])).has(event.eventId);
  }

  /**
   * Records events that arrived together in one transaction (group commit: on PGlite on disk each commit
   * is a flush), recomputing each room they touch once. Returns the ids recorded now; the others were
   * recorded before (or twice in this batch) and changed nothing.
   */
  async recordBatch(batch: readonly UsageEvent[]): Promise<Set<string>> {
    const byId = new Map<string, UsageEvent>();
    for (const e of batch) if (!byId.has(e.eventId)) byId.set(e.eventId, e);
    const events = [...byId.values()];
    if (events.length === 0) return new Set();
    const rooms = new Map<string, { roomKey: string; orgId: string; meetingId: string; roomSid: string }>();
    for (const e of events) {
      const roomKey = roomKeyOf(e);
      if (!rooms.has(roomKey))
        rooms.set(roomKey, { roomKey, orgId: e.orgId, meetingId: e.meetingId, roomSid: e.roomSid });
    }
    const keys = [...rooms.keys()].sort();
    return this.db.transaction(async (tx) => {
      await tx
        .insert(meteredRooms)
        .values([...rooms.values()])
        .onConflictDoNothing();
      // Locked in key order, so two batches touching the same rooms cannot deadlock.
      const locked = await tx
        .select({ roomKey: meteredRooms.roomKey, orgId: meteredRooms.orgId })
        .from(meteredRooms)
        .where(inArray(meteredRooms.roomKey, keys))
        .orderBy(asc(meteredRooms.roomKey))
        .for('update');
      const orgOf = new Map(locked.map((r) => [r.roomKey, r.orgId]));
      const inserted = await tx
        .insert(meteredEvents)
        .values(
          events.map((e) => ({
            eventId: e.eventId,
            roomKey: roomKeyOf(e),
            type: e.type,
            identity: e.identity,
            occurredAt: new Date(e.occurredAt),
            bytes: e.bytes ?? 0,
          })),
        )
        .onConflictDoNothing()
        .returning({ eventId: meteredEvents.eventId, roomKey: meteredEvents.roomKey });
      const applied = new Set(inserted.map((r) => r.eventId));
      const changed = [...new Set(inserted.map((r) => r.roomKey))];
      if (changed.length === 0) return applied;

      const stored = await tx
        .select({
          roomKey: meteredEvents.roomKey,
          eventId: meteredEvents.eventId,
          type: meteredEvents.type,
          identity: meteredEvents.identity,
          occurredAt: meteredEvents.occurredAt,
          bytes: meteredEvents.bytes,
        })
        .from(meteredEvents)
        .where(inArray(meteredEvents.roomKey, changed));
      const perRoom = new Map<string, MeterEvent[]>();
      for (const e of stored) {
        let list = perRoom.get(e.roomKey);
        if (list === undefined) perRoom.set(e.roomKey, (list = []));
        list.push({
          eventId: e.eventId,
          type: e.type as RoomEventKind,
          identity: e.identity,
          occurredAt: e.occurredAt.getTime(),
          bytes: e.bytes,
        });
      }
      const rows = [...perRoom].flatMap(([roomKey, roomEvents]) =>
        meterRoom(roomEvents).map((d) => ({ roomKey, orgId: orgOf.get(roomKey) ?? '', ...d })),
      );
      await tx.delete(roomDayUsage).where(inArray(roomDayUsage.roomKey, changed));
      if (rows.length > 0) await tx.insert(roomDayUsage).values(rows);
      return applied;
    });
  }

  /**
   * Usage per organization and day, oldest first (then by organization); `orgId` undefined for every
   * organization. A day appears when anything was used on it.
   */
  async perDay(query: { orgId?: string | undefined; from: string; to: string }): Promise<OrgDayUsage[]> {
    const out = new Map<string, OrgDayUsage>();
    const row = (orgId: string, day: string): OrgDayUsage => {
      const key = `${day} ${orgId}`;
      let r = out.get(key);
      if (r === undefined)
        out.set(
          key,
          (r = {
            orgId,
            day,
            participantMs: 0,
            meetingMs: 0,
            recordingMs: 0,
            storageGbDays: 0,
            egressBytes: 0,
          }),
        );
      return r;
    };
    for (const r of await this.roomsPerDay(query)) Object.assign(row(r.orgId, r.day), r);
    for (const r of await this.recordings.perDay(query)) row(r.orgId, r.day).recordingMs = r.recordingMs;
    const now = this.now().getTime();
    const spans = await this.recordings.storedSpans({
      orgId: query.orgId,
      from: Date.parse(`${query.from}T00:00:00Z`),
      to: Math.min(now, Date.parse(`${query.to}T00:00:00Z`) + 86_400_000),
    });
    for (const [orgId, days] of storagePerDay(spans, { fromDay: query.from, toDay: query.to, now }))
      for (const [day, gbDays] of days) row(orgId, day).storageGbDays = gbDays;
    return [...out.values()].sort((a, b) =>
      a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0,
    );
  }

  private async roomsPerDay(query: {
    orgId?: string | undefined;
    from: string;
    to: string;
  }): Promise<Array<Pick<OrgDayUsage, 'orgId' | 'day' | 'participantMs' | 'meetingMs' | 'egressBytes'>>> {
    const rows = await this.db
      .select({
        orgId: roomDayUsage.orgId,
        day: roomDayUsage.day,
        participantMs: sql<string>`sum(${roomDayUsage.participantMs})`,
        meetingMs: sql<string>`sum(${roomDayUsage.meetingMs})`,
        egressBytes: sql<string>`sum(${roomDayUsage.egressBytes})`,
      })
      .from(roomDayUsage)
      .where(
        and(
          query.orgId === undefined ? undefined : eq(roomDayUsage.orgId, query.orgId),
          gte(roomDayUsage.day, query.from),
          lte(roomDayUsage.day, query.to),
        ),
      )
      .groupBy(roomDayUsage.orgId, roomDayUsage.day)
      .orderBy(asc(roomDayUsage.day), asc(roomDayUsage.orgId));
    return rows.map((r) => ({
      orgId: r.orgId,
      day: r.day,
      participantMs: Number(r.participantMs),
      meetingMs: Number(r.meetingMs),
      egressBytes: Number(r.egressBytes),
    }));
  }
}
