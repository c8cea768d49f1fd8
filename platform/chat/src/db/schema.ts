// Drizzle schema of the chat service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import { bigint, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditEventColumns, timestampMs as ts } from '@origo/kit/db';

/** One row per meeting with a chat: the last seq handed out, locked while the next one is taken. */
export const chatRooms = pgTable('chat_rooms', {
  meetingId: text('meeting_id').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** A chat message; deleted ones keep their row (and seq) with the text cleared. */
export const chatMessages = pgTable(
  'chat_messages',
  {
    id: text('id').primaryKey(),
    meetingId: text('meeting_id')
      .notNull()
      .references(() => chatRooms.meetingId, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    senderIdentity: text('sender_identity').notNull(),
    senderName: text('sender_name').notNull(),
    senderSid: text('sender_sid').notNull().default(''),
    text: text('text').notNull(),
    /** Recipient of a private message; null for everyone. */
    toIdentity: text('to_identity'),
    toName: text('to_name'),
    sentAt: ts('sent_at').notNull().defaultNow(),
    editedAt: ts('edited_at'),
    deletedAt: ts('deleted_at'),
    deletedBy: text('deleted_by'),
  },
  (t) => [
    uniqueIndex('chat_messages_meeting_seq_idx').on(t.meetingId, t.seq),
    index('chat_messages_private_idx').on(t.meetingId, t.toIdentity),
  ],
);

/** Raised hands of a meeting; a lowered hand's row is deleted (the audit keeps the history). */
export const raisedHands = pgTable(
  'raised_hands',
  {
    meetingId: text('meeting_id').notNull(),
    identity: text('identity').notNull(),
    name: text('name').notNull(),
    participantSid: text('participant_sid').notNull().default(''),
    raisedAt: ts('raised_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.identity] })],
);

/**
 * How far each participant has read a meeting's chat: the seq of the newest message its chat panel
 * showed. Only moves forward; the unread count of a rejoining client is computed from it.
 */
export const readMarkers = pgTable(
  'read_markers',
  {
    meetingId: text('meeting_id').notNull(),
    identity: text('identity').notNull(),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.identity] })],
);

/** Every edit, delete and hand lowered by someone else, with who did it and the state before and after. */
export const auditEvents = pgTable(
  'audit_events',
  {
    ...auditEventColumns(),
    meetingId: text('meeting_id').notNull(),
  },
  (t) => [index('audit_events_entity_idx').on(t.entity, t.entityId)],
);

export type ChatRoomRow = typeof chatRooms.$inferSelect;
export type ChatMessageRow = typeof chatMessages.$inferSelect;
export type RaisedHandRow = typeof raisedHands.$inferSelect;
export type ReadMarkerRow = typeof readMarkers.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
