// Drizzle schema of the auth service. Migrations are generated from this file by drizzle-kit
// (`npm run db:generate`) into ../../drizzle and committed; they are forward-only.
import { sql } from 'drizzle-orm';
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
import type { InvitationId, OrgId, UserId } from '../ids.js';

const auditColumns = rowAuditColumns();

export const users = pgTable(
  'users',
  {
    id: text('id').$type<UserId>().primaryKey(),
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    /** Null for accounts that only sign in through OIDC. */
    passwordHash: text('password_hash'),
    emailVerifiedAt: ts('email_verified_at'),
    disabledAt: ts('disabled_at'),
    isSuperadmin: boolean('is_superadmin').notNull().default(false),
    ...auditColumns,
  },
  (t) => [
    // Case-insensitive uniqueness: lookups compare lower(email) and hit this index.
    uniqueIndex('users_email_lower_idx').on(sql`lower(${t.email})`),
    index('users_created_at_id_idx').on(t.createdAt, t.id),
  ],
);

export const organizations = pgTable('organizations', {
  id: text('id').$type<OrgId>().primaryKey(),
  name: text('name').notNull(),
  ...auditColumns,
});

export const membershipRole = pgEnum('membership_role', ['admin', 'host', 'member']);

export const memberships = pgTable(
  'memberships',
  {
    orgId: text('org_id')
      .$type<OrgId>()
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .$type<UserId>()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: membershipRole('role').notNull(),
    ...auditColumns,
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** Lucia's model: the id is the SHA-256 (hex) of the token, so a database leak yields no usable token. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .$type<UserId>()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastSeenAt: ts('last_seen_at').notNull(),
    /** Sliding: moves forward while the session is used. */
    idleExpiresAt: ts('idle_expires_at').notNull(),
    /** Fixed at creation. */
    expiresAt: ts('expires_at').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    ...auditColumns,
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const tokenPurpose = pgEnum('token_purpose', ['email_verification', 'password_reset']);

/** Single-use tokens sent by e-mail; stored as SHA-256 (hex) of the token. */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .$type<UserId>()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: tokenPurpose('purpose').notNull(),
    /** The address the token was sent to (verification proves this exact address). */
    email: text('email').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    ...auditColumns,
  },
  (t) => [index('one_time_tokens_user_idx').on(t.userId, t.purpose)],
);

/**
 * Invitations of e-mail addresses without an account into an organization. The mailed link carries a
 * token whose SHA-256 (hex) is kept here; a resend replaces it, so only the newest link works. At most
 * one open (neither accepted nor revoked) invitation per organization and address.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').$type<InvitationId>().primaryKey(),
    orgId: text('org_id')
      .$type<OrgId>()
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: membershipRole('role').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: ts('expires_at').notNull(),
    /** Who sent the newest mail (an admin of the organization or a superadmin). */
    invitedBy: text('invited_by').$type<UserId>().notNull(),
    lastSentAt: ts('last_sent_at').notNull(),
    sendCount: integer('send_count').notNull().default(1),
    acceptedAt: ts('accepted_at'),
    /** The account the invitation created. */
    acceptedBy: text('accepted_by').$type<UserId>(),
    revokedAt: ts('revoked_at'),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex('invitations_token_hash_idx').on(t.tokenHash),
    uniqueIndex('invitations_open_email_idx')
      .on(t.orgId, sql`lower(${t.email})`)
      .where(sql`accepted_at is null and revoked_at is null`),
    index('invitations_org_created_idx').on(t.orgId, t.createdAt, t.id),
  ],
);

export const signingKeyState = pgEnum('signing_key_state', ['active', 'retiring', 'retired']);

/**
 * JWT signing keys. The private JWK is encrypted with AES-256-GCM under a key-encryption key that lives
 * outside the database (a secret file or ORIGO_AUTH_KEK), so a database dump alone cannot mint tokens.
 */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  privateJwkEncrypted: text('private_jwk_encrypted').notNull(),
  state: signingKeyState('state').notNull(),
  /** For a retiring key: when it leaves the JWKS. */
  notAfter: ts('not_after'),
  ...auditColumns,
});

/**
 * Notifications (password reset, e-mail verification) waiting to be handed to the notification service,
 * written in the same transaction as the token they carry.
 */
export { notificationRelay } from '@origo/notification-relay';

export const oidcAccounts = pgTable(
  'oidc_accounts',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .$type<UserId>()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email'),
    ...auditColumns,
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index('oidc_accounts_user_idx').on(t.userId)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    ...auditEventColumns(),
    /** The organization the event belongs to, so org admins read their own log. */
    orgId: text('org_id').$type<OrgId>(),
    requestId: text('request_id'),
  },
  (t) => [index('audit_events_org_idx').on(t.orgId, t.id)],
);

export type UserRow = typeof users.$inferSelect;
export type OrganizationRow = typeof organizations.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type OneTimeTokenRow = typeof oneTimeTokens.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
export type OrgRole = (typeof membershipRole.enumValues)[number];
