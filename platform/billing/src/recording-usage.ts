// Recording metering: recording events in, recording time per organization and UTC day, and the bytes
// each recording keeps in the storage between ready and deleted. Like rooms (usage.ts), each event is
// stored once by its id and the recording is recomputed from all of its events under a row lock, so
// duplicates change nothing and late or out-of-order events correct the totals.
import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from './audit.js';
import { meteredRecordingEvents, meteredRecordings, recordingDayUsage } from './db/schema.js';
import {
  meterRecording,
  type RecordingEventKind,
  type RecordingMeterEvent,
  type StoredSpan,
} from './metering.js';

export interface RecordingUsageEvent {
  eventId: string;
  orgId: string;
  meetingId: string;
  recordingId: string;
  type: RecordingEventKind;
  occurredAt: number;
  bytes: number;
  durationMs: number;
}

export class RecordingUsageStore {
  constructor(private readonly db: Db) {}

  /** Records events in one transaction; returns the ids recorded now (the others changed nothing). */
  async recordBatch(batch: readonly RecordingUsageEvent[]): Promise<Set<string>> {
    const byId = new Map<string, RecordingUsageEvent>();
    for (const e of batch) if (!byId.has(e.eventId)) byId.set(e.eventId, e);
    const events = [...byId.values()];
    if (events.length === 0) return new Set();
    const recordings = new Map<string, { recordingId: string; orgId: string; meetingId: string }>();
    for (const e of events)
      if (!recordings.has(e.recordingId))
        recordings.set(e.recordingId, { recordingId: e.recordingId, orgId: e.orgId, meetingId: e.meetingId });
    const ids = [...recordings.keys()].sort();
    return this.db.transaction(async (tx) => {
      await tx
        .insert(meteredRecordings)
        .values([...recordings.values()])
        .onConflictDoNothing();
      // Locked in id order, so two batches touching the same recordings cannot deadlock.
      const locked = await tx
        .select({ recordingId: meteredRecordings.recordingId, orgId: meteredRecordings.orgId })
        .from(meteredRecordings)
        .where(inArray(meteredRecordings.recordingId, ids))
        .orderBy(asc(meteredRecordings.recordingId))
        .for('update');
      const orgOf = new Map(locked.map((r) => [r.recordingId, r.orgId]));
      const inserted = await tx
        .insert(meteredRecordingEvents)
        .values(
          events.map((e) => ({
            eventId: e.eventId,
            recordingId: e.recordingId,
            type: e.type,
            occurredAt: new Date(e.occurredAt),
            bytes: e.bytes,
            durationMs: e.durationMs,
          })),
        )
        .onConflictDoNothing()
        .returning({
          eventId: meteredRecordingEvents.eventId,
          recordingId: meteredRecordingEvents.recordingId,
        });
      const applied = new Set(inserted.map((r) => r.eventId));
      const changed = [...new Set(inserted.map((r) => r.recordingId))];
      if (changed.length === 0) return applied;

      const stored = await tx
        .select()
        .from(meteredRecordingEvents)
        .where(inArray(meteredRecordingEvents.recordingId, changed));
      const perRecording = new Map<string, RecordingMeterEvent[]>();
      for (const e of stored) {
        let list = perRecording.get(e.recordingId);
        if (list === undefined) perRecording.set(e.recordingId, (list = []));
        list.push({
          eventId: e.eventId,
          type: e.type as RecordingEventKind,
          occurredAt: e.occurredAt.getTime(),
          bytes: e.bytes,
          durationMs: e.durationMs,
        });
      }
      const dayRows: Array<typeof recordingDayUsage.$inferInsert> = [];
      for (const [recordingId, recordingEvents] of perRecording) {
        const usage = meterRecording(recordingEvents);
        const orgId = orgOf.get(recordingId) ?? '';
        await tx
          .update(meteredRecordings)
          .set({
            startedAt: usage.startedAt === null ? null : new Date(usage.startedAt),
            recordedMs: usage.recordedMs,
            bytes: usage.bytes,
            storedAt: usage.storedAt === null ? null : new Date(usage.storedAt),
            deletedAt: usage.deletedAt === null ? null : new Date(usage.deletedAt),
          })
          .where(eq(meteredRecordings.recordingId, recordingId));
        for (const d of usage.days) dayRows.push({ recordingId, orgId, ...d });
      }
      await tx.delete(recordingDayUsage).where(inArray(recordingDayUsage.recordingId, changed));
      if (dayRows.length > 0) await tx.insert(recordingDayUsage).values(dayRows);
      return applied;
    });
  }

  /** Recording time per organization and day, oldest first; `orgId` undefined for every organization. */
  async perDay(query: {
    orgId?: string | undefined;
    from: string;
    to: string;
  }): Promise<Array<{ orgId: string; day: string; recordingMs: number }>> {
    const rows = await this.db
      .select({
        orgId: recordingDayUsage.orgId,
        day: recordingDayUsage.day,
        recordingMs: sql<string>`sum(${recordingDayUsage.recordingMs})`,
      })
      .from(recordingDayUsage)
      .where(
        and(
          query.orgId === undefined ? undefined : eq(recordingDayUsage.orgId, query.orgId),
          gte(recordingDayUsage.day, query.from),
          lte(recordingDayUsage.day, query.to),
        ),
      )
      .groupBy(recordingDayUsage.orgId, recordingDayUsage.day);
    return rows.map((r) => ({ orgId: r.orgId, day: r.day, recordingMs: Number(r.recordingMs) }));
  }

  /** What recordings keep in the storage at some time between `from` and `to` (ms since the epoch). */
  async storedSpans(query: { orgId?: string | undefined; from: number; to: number }): Promise<StoredSpan[]> {
    const rows = await this.db
      .select({
        orgId: meteredRecordings.orgId,
        bytes: meteredRecordings.bytes,
        storedAt: meteredRecordings.storedAt,
        deletedAt: meteredRecordings.deletedAt,
      })
      .from(meteredRecordings)
      .where(
        and(
          query.orgId === undefined ? undefined : eq(meteredRecordings.orgId, query.orgId),
          isNotNull(meteredRecordings.storedAt),
          lt(meteredRecordings.storedAt, new Date(query.to)),
          or(isNull(meteredRecordings.deletedAt), gte(meteredRecordings.deletedAt, new Date(query.from))),
        ),
      );
    return rows.map((r) => ({
      orgId: r.orgId,
      bytes: r.bytes,
      from: r.storedAt?.getTime() ?? 0,
      to: r.deletedAt?.getTime() ?? null,
    }));
  }

  /** Recording time of an organization on the days from `fromDay` to `toDay`. */
  async recordingMsBetween(orgId: string, fromDay: string, toDay: string): Promise<number> {
    const [row] = await this.db
      .select({ ms: sql<string | null>`sum(${recordingDayUsage.recordingMs})` })
      .from(recordingDayUsage)
      .where(
        and(
          eq(recordingDayUsage.orgId, orgId),
          gte(recordingDayUsage.day, fromDay),
          lte(recordingDayUsage.day, toDay),
        ),
      );
    return Number(row?.ms ?? 0);
  }

  /** Bytes an organization's recordings keep in the storage now. */
  async storedBytes(orgId: string): Promise<number> {
    const [row] = await this.db
      .select({ bytes: sql<string | null>`sum(${meteredRecordings.bytes})` })
      .from(meteredRecordings)
      .where(
        and(
          eq(meteredRecordings.orgId, orgId),
          isNotNull(meteredRecordings.storedAt),
          isNull(meteredRecordings.deletedAt),
        ),
      );
    return Number(row?.bytes ?? 0);
  }
}
