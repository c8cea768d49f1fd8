// Drizzle schema of the recording service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import { bigint, boolean, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { auditEventColumns, timestampMs as ts } from '@origo/kit/db';

/**
 * One recording of a meeting. `status`: recording -> stopping -> ready, or failed (FFmpeg died, nothing to
 * record, storage refused the file). The file lives in the storage under `storage_key` once ready.
 * `recorder_id` names the recorder writing it, which finishes it after a restart (`interrupted`).
 */
export const recordings = pgTable(
  'recordings',
  {
    id: text('id').primaryKey(),
    meetingId: text('meeting_id').notNull(),
    status: text('status').notNull(),
    /** `composite` (grid of cameras, audio mixed); per-track recordings come later. */
    layout: text('layout').notNull().default('composite'),
    recorderId: text('recorder_id').notNull().default(''),
    /** The meeting's organization, host and title when the recording started (from control). */
    orgId: text('org_id'),
    hostId: text('host_id'),
    meetingTitle: text('meeting_title'),
    /** Finished from its parts on disk after the recorder stopped without stopping it. */
    interrupted: boolean('interrupted').notNull().default(false),
    storage: text('storage').notNull(),
    storageKey: text('storage_key').notNull(),
    bytes: bigint('bytes', { mode: 'number' }),
    durationMs: bigint('duration_ms', { mode: 'number' }),
    /** A ready composite's HLS files (playlist, init, segments), stored under `<key without .mp4>/hls/`. */
    hlsFiles: jsonb('hls_files').$type<string[]>(),
    /** Tracks recorded: [{track_id, participant_id, kind, source}]. */
    tracks: jsonb('tracks').notNull().default([]),
    error: text('error'),
    startedAt: ts('started_at').notNull().defaultNow(),
    stoppedAt: ts('stopped_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [index('recordings_meeting_idx').on(t.meetingId, t.startedAt)],
);

/**
 * How long an organization keeps its recordings: ready and failed recordings older than `days` (by their
 * stop time) are deleted, with their files, by the retention job. No row: kept until deleted by hand.
 */
export const retentionPolicies = pgTable('retention_policies', {
  orgId: text('org_id').primaryKey(),
  days: integer('days').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});

/** Every start, stop, failure and delete, with who did it and the state before and after. */
export const auditEvents = pgTable(
  'audit_events',
  {
    ...auditEventColumns(),
    meetingId: text('meeting_id').notNull(),
    requestId: text('request_id'),
  },
  (t) => [index('audit_events_entity_idx').on(t.entity, t.entityId)],
);

export type RecordingRow = typeof recordings.$inferSelect;
export type RetentionPolicyRow = typeof retentionPolicies.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

/** Notifications to the notification service (recording ready), written with the change that causes them. */
export { notificationRelay } from '@origo/notification-relay';

/** Recording events for billing's metering, written with the change and handed over by gRPC (docs/adr/0007). */
export { outbox } from '@origo/kit/outbox';
