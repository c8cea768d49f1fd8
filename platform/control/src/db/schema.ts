// Drizzle schema of the control service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { auditEventColumns, rowAuditColumns, timestampMs as ts } from '@origo/kit/db';
import type { InvitationId, InviteLinkId, LobbyEntryId, MeetingId, OrgId } from '../ids.js';

const auditColumns = rowAuditColumns();

export const meetingKind = pgEnum('meeting_kind', ['instant', 'scheduled']);
export const meetingState = pgEnum('meeting_state', ['scheduled', 'live', 'ended', 'cancelled']);

export const meetings = pgTable(
  'meetings',
  {
    id: text('id').$type<MeetingId>().primaryKey(),
    orgId: text('org_id').$type<OrgId>().notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    kind: meetingKind('kind').notNull(),
    state: meetingState('state').notNull(),
    /** The user who runs the meeting (host grants at join); defaults to the creator. */
    hostId: text('host_id').notNull(),
    /** First (or only) occurrence; null for instant meetings. */
    startsAt: ts('starts_at'),
    durationMinutes: integer('duration_minutes').notNull(),
    /** IANA zone the recurrence is expanded in (wall-clock times stay put across DST changes). */
    timeZone: text('time_zone').notNull(),
    /** RFC 5545 RRULE without DTSTART (starts_at and time_zone supply it); null when not recurring. */
    rrule: text('rrule'),
    /** scrypt hash of the passcode; null when the meeting has none. */
    passcodeHash: text('passcode_hash'),
    lobbyEnabled: boolean('lobby_enabled').notNull().default(false),
    joinBeforeHost: boolean('join_before_host').notNull().default(true),
    participantCap: integer('participant_cap').notNull(),
    locked: boolean('locked').notNull().default(false),
    /** Participants in the room, as signaling last reported. */
    participantCount: integer('participant_count').notNull().default(0),
    /** Server id of the current (or last) room instance, from signaling. */
    roomSid: text('room_sid'),
    startedAt: ts('started_at'),
    endedAt: ts('ended_at'),
    cancelledAt: ts('cancelled_at'),
    ...auditColumns,
  },
  (t) => [index('meetings_org_created_idx').on(t.orgId, t.createdAt, t.id)],
);

export const invitationStatus = pgEnum('invitation_status', ['pending', 'revoked']);

export const invitations = pgTable(
  'invitations',
  {
    id: text('id').$type<InvitationId>().primaryKey(),
    meetingId: text('meeting_id')
      .$type<MeetingId>()
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    orgId: text('org_id').$type<OrgId>().notNull(),
    /** Lower-cased; a signed-in user with this address joins as a guest without a passcode. */
    email: text('email').notNull(),
    /** SHA-256 of the invite link token (base64url). */
    tokenHash: text('token_hash').notNull(),
    status: invitationStatus('status').notNull().default('pending'),
    /** When the notification service accepted the invitation e-mail; null until then. */
    sentAt: ts('sent_at'),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex('invitations_token_idx').on(t.tokenHash),
    uniqueIndex('invitations_meeting_email_idx').on(t.meetingId, t.email),
  ],
);

export const inviteLinkStatus = pgEnum('invite_link_status', ['active', 'revoked']);

/**
 * Shareable invite links: anyone holding the link token may join as a guest until it expires or a host
 * revokes it. Unlike `invitations`, a link names no person, so it is what a host copies into a chat.
 */
export const inviteLinks = pgTable(
  'invite_links',
  {
    id: text('id').$type<InviteLinkId>().primaryKey(),
    meetingId: text('meeting_id')
      .$type<MeetingId>()
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    orgId: text('org_id').$type<OrgId>().notNull(),
    /** SHA-256 of the link token (base64url); the token itself is shown once, at creation. */
    tokenHash: text('token_hash').notNull(),
    status: inviteLinkStatus('status').notNull().default('active'),
    expiresAt: ts('expires_at').notNull(),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex('invite_links_token_idx').on(t.tokenHash),
    index('invite_links_meeting_idx').on(t.meetingId, t.createdAt),
  ],
);

export const lobbyStatus = pgEnum('lobby_status', ['waiting', 'admitted', 'denied']);

export const lobbyEntries = pgTable(
  'lobby_entries',
  {
    id: text('id').$type<LobbyEntryId>().primaryKey(),
    meetingId: text('meeting_id')
      .$type<MeetingId>()
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    orgId: text('org_id').$type<OrgId>().notNull(),
    /** SHA-256 of the ticket the waiting participant polls with. */
    ticketHash: text('ticket_hash').notNull(),
    /** The identity the join token will carry (user id or guest identity). */
    identity: text('identity').notNull(),
    displayName: text('display_name').notNull(),
    status: lobbyStatus('status').notNull().default('waiting'),
    expiresAt: ts('expires_at').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex('lobby_entries_ticket_idx').on(t.ticketHash),
    index('lobby_entries_meeting_idx').on(t.meetingId, t.status),
  ],
);

/**
 * People a host removed from a meeting; they are refused a join token until a host allows them back (the
 * row is deleted then; the audit log keeps the history). Keyed on the identity the join token carries,
 * which for a guest is derived from their invitation or their browser's device key (`guestIdentity`), so
 * it survives a new join from the same invitation or browser. `created_*` say who removed them and when.
 */
export const participantRemovals = pgTable(
  'participant_removals',
  {
    meetingId: text('meeting_id')
      .$type<MeetingId>()
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    orgId: text('org_id').$type<OrgId>().notNull(),
    identity: text('identity').notNull(),
    /** The name the host saw, for the list of removed people (empty when the host did not say). */
    displayName: text('display_name').notNull().default(''),
    ...auditColumns,
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.identity] })],
);

/** Room events already applied, so a retried ReportRoomEvent is acknowledged without effect. */
export const roomEvents = pgTable('room_events', {
  eventId: text('event_id').primaryKey(),
  meetingId: text('meeting_id').notNull(),
  type: text('type').notNull(),
  occurredAt: ts('occurred_at').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
});

/** Responses of creating POSTs by Idempotency-Key, kept 24 h. Infrastructure, so not audited. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** Who sent the key (user id): keys of different callers never collide. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** Method and route template the key was used on. */
    operation: text('operation').notNull(),
    /** SHA-256 of the canonical request body. */
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    response: jsonb('response').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    ...auditEventColumns(),
    /** The organization the event belongs to, so org admins read their own log. */
    orgId: text('org_id').$type<OrgId>().notNull(),
    requestId: text('request_id'),
  },
  (t) => [index('audit_events_org_idx').on(t.orgId, t.id)],
);

/** Invitation mails, reminder schedules and lobby alerts waiting to be handed to notification. */
export { notificationRelay } from '@origo/notification-relay';

/** Room events for billing's metering, written with the event and handed over by gRPC (docs/adr/0007). */
export { outbox } from '@origo/kit/outbox';

export type MeetingRow = typeof meetings.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type InviteLinkRow = typeof inviteLinks.$inferSelect;
export type LobbyEntryRow = typeof lobbyEntries.$inferSelect;
export type ParticipantRemovalRow = typeof participantRemovals.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
export type MeetingState = (typeof meetingState.enumValues)[number];
