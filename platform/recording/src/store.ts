// The recordings table and its audit trail: every change writes its audit row in the same transaction.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { AppError } from '@origo/kit';
import { auditFilterWhere, type AuditFilter, type Database } from '@origo/kit/db';
import { addToOutbox } from '@origo/kit/outbox';
import { BILLING_OUTBOX_TOPIC } from '@origo/control/contracts';
import { UsageEvent } from '@origo/proto/billing-rpc';
import {
  auditEvents,
  recordings,
  retentionPolicies,
  type RecordingRow,
  type RetentionPolicyRow,
} from './db/schema.js';
import type * as schema from './db/schema.js';

export type Db = Database<typeof schema>;
export type RecordingStatus = 'recording' | 'stopping' | 'ready' | 'failed';

export const newRecordingId = (): string => `rec_${randomUUID().replaceAll('-', '')}`;

export function checkRecordingId(value: string): string {
  if (!/^rec_[0-9a-f]{32}$/.test(value)) throw AppError.notFound('Recording');
  return value;
}

/** Meeting ids are join token `room` claims. */
export function checkMeetingId(value: string): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value))
    throw AppError.invalid('Invalid meeting id', [{ field: 'meeting_id', message: 'is not a meeting id' }]);
  return value;
}

export interface Actor {
  /** A user id or join token `sub`, or `service:recording`. */
  id: string;
  requestId?: string | undefined;
}

export type Action =
  | 'recording.started'
  | 'recording.stopped'
  | 'recording.ready'
  | 'recording.failed'
  | 'recording.deleted'
  /** Another recorder took an unfinished recording over from one that stopped heartbeating. */
  | 'recording.claimed'
  | 'retention.updated';

function snapshot(row: RecordingRow | null): Record<string, unknown> | null {
  if (row === null) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row))
    out[key] = value instanceof Date ? value.toISOString() : value;
  return out;
}

/** The usage event billing meters for an audited change, if it is one billing counts. */
const METERED: Partial<Record<Action, string>> = {
  'recording.started': 'recording_started',
  'recording.ready': 'recording_ready',
  'recording.failed': 'recording_failed',
  'recording.deleted': 'recording_deleted',
};

export class RecordingStore {
  /**
   * With `meterUsage` every start, ready, failure and delete of a recording filed under an organization
   * also goes into the outbox for billing (recording time, storage), in the same transaction as its audit
   * row. Off when no billing is configured, so rows nobody takes do not pile up.
   */
  constructor(
    private readonly db: Db,
    private readonly meterUsage = false,
  ) {}

  private async audit(
    tx: Db,
    action: Action,
    actor: Actor,
    before: RecordingRow | null,
    after: RecordingRow | null,
  ) {
    const row = after ?? before;
    if (row === null) return;
    await tx.insert(auditEvents).values({
      actor: actor.id,
      action,
      entity: 'recording',
      entityId: row.id,
      meetingId: row.meetingId,
      requestId: actor.requestId ?? null,
      before: snapshot(before),
      after: snapshot(after),
    });
    const type = METERED[action];
    if (!this.meterUsage || type === undefined || row.orgId === null) return;
    const at =
      action === 'recording.started'
        ? row.startedAt
        : action === 'recording.deleted'
          ? new Date()
          : row.updatedAt;
    await addToOutbox(
      tx,
      BILLING_OUTBOX_TOPIC,
      UsageEvent.toJSON(
        UsageEvent.fromPartial({
          // One event of each kind per recording: the id is stable across retries and restarts.
          eventId: `${row.id}:${type}`,
          type,
          orgId: row.orgId,
          meetingId: row.meetingId,
          recordingId: row.id,
          occurredAtMs: at.getTime(),
          bytes: action === 'recording.ready' ? (row.bytes ?? 0) : 0,
          durationMs: action === 'recording.ready' ? (row.durationMs ?? 0) : 0,
        }),
      ) as Record<string, unknown>,
    );
  }

  async get(id: string): Promise<RecordingRow | null> {
    const [row] = await this.db.select().from(recordings).where(eq(recordings.id, id));
    return row ?? null;
  }

  async list(meetingId: string): Promise<RecordingRow[]> {
    return this.db
      .select()
      .from(recordings)
      .where(eq(recordings.meetingId, meetingId))
      .orderBy(desc(recordings.startedAt));
  }

  /** The meeting's recording in progress (recording or stopping), if any. */
  async active(meetingId: string): Promise<RecordingRow | null> {
    const rows = await this.list(meetingId);
    return rows.find((r) => r.status === 'recording' || r.status === 'stopping') ?? null;
  }

  /** Recordings `recorderId` was writing (recording or stopping): after a restart, its to finish. */
  async unfinishedOf(recorderId: string): Promise<RecordingRow[]> {
    return this.db
      .select()
      .from(recordings)
      .where(
        and(eq(recordings.recorderId, recorderId), inArray(recordings.status, ['recording', 'stopping'])),
      );
  }

  /** The recorders, other than `recorderId`, that own unfinished recordings (recording or stopping). */
  async unfinishedOwners(recorderId: string): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ recorderId: recordings.recorderId })
      .from(recordings)
      .where(
        and(ne(recordings.recorderId, recorderId), inArray(recordings.status, ['recording', 'stopping'])),
      );
    return rows.map((r) => r.recorderId);
  }

  /**
   * Moves an unfinished recording from recorder `from` to recorder `to`, audited; null when it is not
   * `from`'s unfinished recording any more (another recorder claimed it first, or it finished): of
   * recorders claiming one at the same time exactly one gets it.
   */
  async claim(id: string, from: string, to: string, actor: Actor): Promise<RecordingRow | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(recordings).where(eq(recordings.id, id));
      if (!before) return null;
      const [after] = await tx
        .update(recordings)
        .set({ recorderId: to, updatedAt: new Date(), updatedBy: actor.id })
        .where(
          and(
            eq(recordings.id, id),
            eq(recordings.recorderId, from),
            inArray(recordings.status, ['recording', 'stopping']),
          ),
        )
        .returning();
      if (!after) return null;
      await this.audit(tx, 'recording.claimed', actor, before, after);
      return after;
    });
  }

  async create(
    row: {
      id: string;
      meetingId: string;
      storage: string;
      storageKey: string;
      tracks: unknown[];
      recorderId: string;
      layout?: 'composite' | 'tracks';
      orgId?: string | null;
      hostId?: string | null;
      meetingTitle?: string | null;
      /** When the recording began; now when not given (a recorder taking over an interrupted one passes it). */
      startedAt?: Date;
    },
    actor: Actor,
  ): Promise<RecordingRow> {
    return this.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(recordings)
        .values({ ...row, status: 'recording', createdBy: actor.id, updatedBy: actor.id })
        .returning();
      await this.audit(tx, 'recording.started', actor, null, created!);
      return created!;
    });
  }

  /** Moves a recording from one status to the next; null when it was not in `from` (someone else moved it). */
  async transition(
    id: string,
    from: RecordingStatus,
    to: RecordingStatus,
    action: Action,
    actor: Actor,
    fields: Partial<
      Pick<
        RecordingRow,
        'bytes' | 'durationMs' | 'error' | 'stoppedAt' | 'tracks' | 'interrupted' | 'hlsFiles'
      >
    > = {},
    /** More writes in the same transaction (the notification of a ready recording). */
    also?: (tx: Db, after: RecordingRow) => Promise<void>,
  ): Promise<RecordingRow | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(recordings).where(eq(recordings.id, id));
      if (!before || before.status !== from) return null;
      const [after] = await tx
        .update(recordings)
        .set({ ...fields, status: to, updatedAt: new Date(), updatedBy: actor.id })
        .where(and(eq(recordings.id, id), eq(recordings.status, from)))
        .returning();
      await this.audit(tx, action, actor, before, after!);
      await also?.(tx, after!);
      return after!;
    });
  }

  async delete(id: string, actor: Actor): Promise<RecordingRow | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.delete(recordings).where(eq(recordings.id, id)).returning();
      if (!before) return null;
      await this.audit(tx, 'recording.deleted', actor, before, null);
      return before;
    });
  }

  async retention(orgId: string): Promise<RetentionPolicyRow | null> {
    const [row] = await this.db.select().from(retentionPolicies).where(eq(retentionPolicies.orgId, orgId));
    return row ?? null;
  }

  /** Sets (days) or removes (null) an organization's retention, audited. */
  async setRetention(orgId: string, days: number | null, actor: Actor): Promise<RetentionPolicyRow | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(retentionPolicies).where(eq(retentionPolicies.orgId, orgId));
      let after: RetentionPolicyRow | null = null;
      if (days === null) await tx.delete(retentionPolicies).where(eq(retentionPolicies.orgId, orgId));
      else
        [after = null] = await tx
          .insert(retentionPolicies)
          .values({ orgId, days, updatedBy: actor.id })
          .onConflictDoUpdate({
            target: retentionPolicies.orgId,
            set: { days, updatedAt: new Date(), updatedBy: actor.id },
          })
          .returning();
      await tx.insert(auditEvents).values({
        actor: actor.id,
        action: 'retention.updated',
        entity: 'retention_policy',
        entityId: orgId,
        meetingId: '',
        requestId: actor.requestId ?? null,
        before: before ? { org_id: before.orgId, days: before.days } : null,
        after: after ? { org_id: after.orgId, days: after.days } : null,
      });
      return after;
    });
  }

  /** Finished recordings (ready or failed) of organizations with a retention, stopped before their limit. */
  async expired(now: Date): Promise<RecordingRow[]> {
    const rows = await this.db
      .select({ recording: recordings })
      .from(recordings)
      .innerJoin(retentionPolicies, eq(recordings.orgId, retentionPolicies.orgId))
      .where(
        and(
          inArray(recordings.status, ['ready', 'failed']),
          sql`${recordings.stoppedAt} < ${now.toISOString()}::timestamptz - ${retentionPolicies.days} * interval '1 day'`,
        ),
      )
      .limit(500);
    return rows.map((r) => r.recording);
  }

  /**
   * An organization's recording log, newest first: every start, stop, finish, failure and delete of its
   * recordings (the organization is in the row's snapshot, so a deleted recording's history stays) and
   * its retention changes. `before` is the id of the last row of the previous page.
   */
  async orgAudit(orgId: string, filter: AuditFilter, limit: number, before?: number) {
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(
        and(
          or(
            sql`coalesce(${auditEvents.after}->>'orgId', ${auditEvents.before}->>'orgId') = ${orgId}`,
            and(eq(auditEvents.entity, 'retention_policy'), eq(auditEvents.entityId, orgId)),
          ),
          auditFilterWhere(auditEvents, filter),
          before === undefined ? undefined : lt(auditEvents.id, before),
        ),
      )
      .orderBy(desc(auditEvents.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last !== undefined ? String(last.id) : null };
  }

  async auditOf(recordingId: string) {
    return this.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.entityId, recordingId))
      .orderBy(auditEvents.id);
  }
}
