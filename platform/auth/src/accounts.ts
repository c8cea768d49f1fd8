// The auth domain: accounts, organizations, memberships and one-time tokens (whose mails go to the
// notification service through the relay). Every mutation runs in one transaction with its audit rows.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, ilike, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { AppError, ErrorCode } from '@origo/kit';
import { auditFilterWhere, type AuditFilter } from '@origo/kit/db';
import { z } from 'zod';
import { created, updated, writeAudit, type Actor, type Db } from './audit.js';
import { generateToken, hashToken, isTokenShaped } from './crypto.js';
import {
  auditEvents,
  memberships,
  oidcAccounts,
  oneTimeTokens,
  organizations,
  users,
  type AuditEventRow,
  type OrganizationRow,
  type UserRow,
} from './db/schema.js';
import type { NotificationRelay } from '@origo/notification-relay';
import type { EnqueueRequest } from '@origo/proto/notification-rpc';
import { newOrgId, newUserId, type OrgId, type UserId } from './ids.js';
import { cursorPart, decodeCursor, pageOf, type Page } from './pagination.js';
import { passwordProblem, type PasswordHasher } from './password.js';
import type { Membership, OrgRole, Principal } from './rbac.js';
import type { SessionManager } from './sessions.js';
import type { SignInThrottle, ThrottleBlock } from './throttle.js';

/** Serialises account creation, so the e-mail check and the first-account rule hold under races. */
export const SIGNUP_LOCK = createHash('sha256')
  .update('origo:auth:signup')
  .digest()
  .readBigInt64BE(0)
  .toString();
const VERIFICATION_TTL_MS = 48 * 3_600_000;
const RESET_TTL_MS = 3_600_000;

export interface ClientInfo {
  ip: string;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/** What the API shows of a user. */
export interface PublicUser {
  id: UserId;
  email: string;
  displayName: string;
  emailVerified: boolean;
  disabled: boolean;
  superadmin: boolean;
  createdAt: string;
}

export function publicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    emailVerified: row.emailVerifiedAt !== null,
    disabled: row.disabledAt !== null,
    superadmin: row.isSuperadmin,
    createdAt: row.createdAt.toISOString(),
  };
}

export interface MemberView {
  user: PublicUser;
  role: OrgRole;
  since: string;
}

export interface AccountsOptions {
  db: Db;
  hasher: PasswordHasher;
  sessions: SessionManager;
  throttle: SignInThrottle;
  now: () => Date;
  publicUrl: string;
  signupEnabled: boolean;
  /** Hands password-reset and verification mails to the notification service. */
  relay: NotificationRelay;
}

function userView(row: UserRow) {
  // The hash is replaced by a marker in the audit writer; keep the shape of the row otherwise.
  return row;
}

const emailLower = (email: string) => email.trim().toLowerCase();

export class Accounts {
  constructor(private readonly o: AccountsOptions) {}

  // ---- reading ---------------------------------------------------------------------------------------

  async findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
    const [row] = await db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = ${emailLower(email)}`);
    return row;
  }

  async getUser(userId: UserId): Promise<UserRow | undefined> {
    const [row] = await this.o.db.select().from(users).where(eq(users.id, userId));
    return row;
  }

  async membershipsOf(db: Db, userId: UserId): Promise<Membership[]> {
    const rows = await db
      .select({ orgId: memberships.orgId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.userId, userId))
      .orderBy(asc(memberships.createdAt), asc(memberships.orgId));
    return rows;
  }

  async principalFor(user: UserRow, sessionId: string, via: Principal['via']): Promise<Principal> {
    return {
      userId: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      displayName: user.displayName,
      superadmin: user.isSuperadmin,
      memberships: await this.membershipsOf(this.o.db, user.id),
      sessionId,
      via,
    };
  }

  async me(principal: Principal) {
    const user = await this.getUser(principal.userId);
    if (user === undefined) throw AppError.unauthenticated();
    const orgRows =
      principal.memberships.length === 0
        ? []
        : await this.o.db
            .select()
            .from(organizations)
            .where(
              inArray(
                organizations.id,
                principal.memberships.map((m) => m.orgId),
              ),
            );
    const names = new Map(orgRows.map((o) => [o.id, o.name]));
    return {
      user: publicUser(user),
      memberships: principal.memberships.map((m) => ({
        orgId: m.orgId,
        orgName: names.get(m.orgId) ?? '',
        role: m.role,
      })),
    };
  }

  // ---- sign-up, sign-in, sign-out --------------------------------------------------------------------

  /**
   * Creates the account, its own organization (the user is its admin) and a session. The very first
   * account of the installation becomes superadmin; an advisory lock makes "first" exact under races.
   */
  async signUp(
    input: { email: string; password: string; displayName: string; organizationName?: string | undefined },
    client: ClientInfo,
  ): Promise<{ user: UserRow; orgId: OrgId; token: string; sessionId: string; expiresAt: Date }> {
    if (!this.o.signupEnabled)
      throw AppError.precondition('Sign-up is disabled on this installation', 'signup_disabled');
    const problem = passwordProblem(input.password, input.email);
    if (problem !== null)
      throw AppError.invalid('Password refused', [{ field: 'password', message: problem }]);
    const passwordHash = await this.o.hasher.hash(input.password);
    const result = await this.o.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SIGNUP_LOCK}::bigint)`);
      if ((await this.findUserByEmail(tx, input.email)) !== undefined) {
        // Named as the e-mail field's problem too, so the form shows it under the address.
        throw new AppError(ErrorCode.ALREADY_EXISTS, 'An account with this e-mail address exists', {
          reason: 'email_taken',
          violations: [{ field: 'email', message: 'already has an account: sign in instead' }],
        });
      }
      const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(users);
      const userId = newUserId();
      const actor: Actor = { id: userId, requestId: client.requestId };
      const user = await this.insertUser(tx, actor, {
        id: userId,
        email: input.email.trim(),
        displayName: input.displayName.trim(),
        passwordHash,
        isSuperadmin: count === 0,
        emailVerifiedAt: null,
      });
      const orgId = await this.insertOrganization(
        tx,
        actor,
        input.organizationName?.trim() || `${user.displayName}'s organization`,
        userId,
      );
      await this.issueVerification(tx, actor, user);
      const { token, session } = await this.o.sessions.create(tx, userId, actor, client);
      return { user, orgId, token, sessionId: session.id, expiresAt: session.expiresAt };
    });
    this.o.relay.kick();
    return result;
  }

  async signIn(
    input: { email: string; password: string },
    client: ClientInfo,
  ): Promise<{ user: UserRow; token: string; sessionId: string; expiresAt: Date }> {
    const refuse = (block: ThrottleBlock) =>
      new AppError(ErrorCode.RESOURCE_EXHAUSTED, 'Too many sign-in attempts; try again later', {
        reason: `throttled:${block.retryAfterSeconds}`,
      });
    const blocked = await this.o.throttle.check(input.email, client.ip);
    if (blocked !== null) throw refuse(blocked);
    const user = await this.findUserByEmail(this.o.db, input.email);
    // Counted once the database answered (see SignInThrottle.check), still before the password is checked.
    const block = await this.o.throttle.begin(input.email, client.ip);
    if (block !== null) throw refuse(block);
    const ok =
      user?.passwordHash != null
        ? await this.o.hasher.verify(user.passwordHash, input.password)
        : await this.o.hasher.verifyDummy(input.password);
    if (!ok || user === undefined) {
      await this.o.throttle.failure(input.email, client.ip);
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid e-mail or password', {
        reason: 'invalid_credentials',
      });
    }
    if (user.disabledAt !== null)
      throw new AppError(ErrorCode.PERMISSION_DENIED, 'This account is disabled', {
        reason: 'account_disabled',
      });
    await this.o.throttle.success(input.email, client.ip);
    const actor: Actor = { id: user.id, requestId: client.requestId };
    const { token, session } = await this.o.db.transaction((tx) =>
      this.o.sessions.create(tx, user.id, actor, client),
    );
    return { user, token, sessionId: session.id, expiresAt: session.expiresAt };
  }

  async signOut(principal: Principal, requestId?: string): Promise<void> {
    await this.o.sessions.transaction((tx) =>
      this.o.sessions.invalidate(tx, principal.sessionId, { id: principal.userId, requestId }),
    );
  }

  // ---- profile ---------------------------------------------------------------------------------------

  /**
   * Sets the caller's own display name (trimmed; the route validates it as sign-up does) and answers the
   * updated `me`. Audited as `user.update` with the before and after rows. Principals are read from the
   * account row on every request, so the session, new access tokens and new meeting join tokens carry the
   * new name at once; an access token minted before keeps the old name until it expires (10 minutes).
   */
  async changeDisplayName(
    principal: Principal,
    displayName: string,
    client: ClientInfo,
  ): Promise<Awaited<ReturnType<Accounts['me']>>> {
    const actor: Actor = { id: principal.userId, requestId: client.requestId };
    const name = displayName.trim();
    await this.o.db.transaction(async (tx) => {
      const [before] = await tx.select().from(users).where(eq(users.id, principal.userId)).for('update');
      if (before === undefined) throw AppError.unauthenticated();
      // Saving the same name again changes nothing, so it writes no row and no audit event.
      if (before.displayName === name) return;
      const now = this.o.now();
      const [after] = await tx
        .update(users)
        .set({ displayName: name, ...updated(actor, now) })
        .where(eq(users.id, before.id))
        .returning();
      if (after === undefined) throw AppError.internal();
      await writeAudit(tx, actor, {
        action: 'user.update',
        entity: 'user',
        entityId: before.id,
        before,
        after,
      });
    });
    return this.me(principal);
  }

  // ---- passwords -------------------------------------------------------------------------------------

  /** Verifies the current password, sets the new one, ends every session and starts a fresh one. */
  async changePassword(
    principal: Principal,
    input: { currentPassword: string; newPassword: string },
    client: ClientInfo,
  ): Promise<{ token: string; expiresAt: Date }> {
    const user = await this.getUser(principal.userId);
    if (user === undefined) throw AppError.unauthenticated();
    const ok =
      user.passwordHash !== null && (await this.o.hasher.verify(user.passwordHash, input.currentPassword));
    if (!ok) {
      throw new AppError(ErrorCode.PERMISSION_DENIED, 'The current password is wrong', {
        reason: 'wrong_password',
      });
    }
    const problem = passwordProblem(input.newPassword, user.email);
    if (problem !== null)
      throw AppError.invalid('Password refused', [{ field: 'newPassword', message: problem }]);
    const passwordHash = await this.o.hasher.hash(input.newPassword);
    const actor: Actor = { id: user.id, requestId: client.requestId };
    return this.o.sessions.transaction(async (tx) => {
      await this.setPassword(tx, actor, user, passwordHash, 'user.password_change');
      await this.o.sessions.invalidateAllForUser(tx, user.id, actor, 'password_change');
      const { token, session } = await this.o.sessions.create(tx, user.id, actor, client);
      return { token, expiresAt: session.expiresAt };
    });
  }

  /** Always succeeds from the caller's view, so it does not reveal which addresses have accounts. */
  async requestPasswordReset(email: string, requestId?: string): Promise<void> {
    const user = await this.findUserByEmail(this.o.db, email);
    if (user === undefined || user.disabledAt !== null) return;
    const actor: Actor = { id: 'anonymous', requestId };
    await this.o.db.transaction(async (tx) => {
      const token = await this.insertOneTimeToken(tx, actor, user, 'password_reset', RESET_TTL_MS);
      await this.enqueueMail(tx, actor, user, {
        $case: 'passwordReset',
        value: {
          actionUrl: `${this.o.publicUrl}/reset-password#token=${token}`,
          expiresInMinutes: RESET_TTL_MS / 60_000,
        },
      });
    });
    this.o.relay.kick();
  }

  async resetPassword(input: { token: string; password: string }, requestId?: string): Promise<void> {
    const found = await this.findUsableToken(input.token, 'password_reset');
    const problem = passwordProblem(input.password, found.user.email);
    if (problem !== null)
      throw AppError.invalid('Password refused', [{ field: 'password', message: problem }]);
    const passwordHash = await this.o.hasher.hash(input.password);
    const actor: Actor = { id: found.user.id, requestId };
    await this.o.sessions.transaction(async (tx) => {
      await this.consumeToken(tx, actor, found.tokenId);
      // Other outstanding reset links die with this one.
      await this.consumeOutstanding(tx, actor, found.user.id, 'password_reset');
      await this.setPassword(tx, actor, found.user, passwordHash, 'user.password_reset');
      await this.o.sessions.invalidateAllForUser(tx, found.user.id, actor, 'password_reset');
    });
  }

  // ---- e-mail verification ---------------------------------------------------------------------------

  async resendVerification(principal: Principal, requestId?: string): Promise<void> {
    const user = await this.getUser(principal.userId);
    if (user === undefined) throw AppError.unauthenticated();
    if (user.emailVerifiedAt !== null)
      throw AppError.precondition('The e-mail address is already verified', 'already_verified');
    await this.o.db.transaction((tx) => this.issueVerification(tx, { id: user.id, requestId }, user));
    this.o.relay.kick();
  }

  async verifyEmail(token: string, requestId?: string): Promise<void> {
    const found = await this.findUsableToken(token, 'email_verification');
    const actor: Actor = { id: found.user.id, requestId };
    await this.o.db.transaction(async (tx) => {
      await this.consumeToken(tx, actor, found.tokenId);
      // A link for an address the user has since changed proves nothing about the current one.
      if (emailLower(found.email) !== emailLower(found.user.email)) {
        throw AppError.precondition('This link was sent to a different address', 'email_changed');
      }
      const now = this.o.now();
      const [after] = await tx
        .update(users)
        .set({ emailVerifiedAt: now, ...updated(actor, now) })
        .where(eq(users.id, found.user.id))
        .returning();
      await writeAudit(tx, actor, {
        action: 'user.verify_email',
        entity: 'user',
        entityId: found.user.id,
        before: found.user,
        after: after ?? null,
      });
    });
  }

  // ---- organizations and members ---------------------------------------------------------------------

  async myOrganizations(principal: Principal) {
    return (await this.me(principal)).memberships;
  }

  async createOrganization(principal: Principal, name: string, requestId?: string): Promise<OrganizationRow> {
    const actor: Actor = { id: principal.userId, requestId };
    return this.o.db.transaction(async (tx) => {
      const orgId = await this.insertOrganization(tx, actor, name.trim(), principal.userId);
      const [row] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
      if (row === undefined) throw AppError.internal();
      return row;
    });
  }

  async getOrganization(orgId: OrgId): Promise<OrganizationRow> {
    const [row] = await this.o.db.select().from(organizations).where(eq(organizations.id, orgId));
    if (row === undefined) throw AppError.notFound('Organization');
    return row;
  }

  async renameOrganization(orgId: OrgId, name: string, actor: Actor): Promise<OrganizationRow> {
    return this.o.db.transaction(async (tx) => {
      const [before] = await tx.select().from(organizations).where(eq(organizations.id, orgId)).for('update');
      if (before === undefined) throw AppError.notFound('Organization');
      const now = this.o.now();
      const [after] = await tx
        .update(organizations)
        .set({ name: name.trim(), ...updated(actor, now) })
        .where(eq(organizations.id, orgId))
        .returning();
      if (after === undefined) throw AppError.internal();
      await writeAudit(tx, actor, {
        action: 'organization.update',
        entity: 'organization',
        entityId: orgId,
        orgId,
        before,
        after,
      });
      return after;
    });
  }

  async listMembers(
    orgId: OrgId,
    opts: { q?: string | undefined; cursor?: string | undefined; limit: number },
  ): Promise<Page<MemberView>> {
    await this.getOrganization(orgId);
    const after =
      opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, z.tuple([cursorPart.text]))[0];
    const rows = await this.o.db
      .select({ user: users, role: memberships.role, since: memberships.createdAt })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(
        and(
          eq(memberships.orgId, orgId),
          after === undefined ? undefined : gt(memberships.userId, after as UserId),
          searchFilter(opts.q),
        ),
      )
      .orderBy(asc(memberships.userId))
      .limit(opts.limit + 1);
    const page = pageOf(rows, opts.limit, (r) => [r.user.id]);
    return {
      items: page.items.map((r) => ({
        user: publicUser(r.user),
        role: r.role,
        since: r.since.toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Adds an existing account to the organization (invitations of new addresses are the control service's). */
  async addMember(orgId: OrgId, email: string, role: OrgRole, actor: Actor): Promise<MemberView> {
    return this.o.db.transaction(async (tx) => {
      await this.lockOrg(tx, orgId);
      const user = await this.findUserByEmail(tx, email);
      if (user === undefined)
        throw new AppError(ErrorCode.NOT_FOUND, 'No account has this e-mail address', {
          reason: 'user_not_found',
        });
      const [existing] = await tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, user.id)));
      if (existing !== undefined)
        throw new AppError(ErrorCode.ALREADY_EXISTS, 'Already a member', { reason: 'already_member' });
      const now = this.o.now();
      const [row] = await tx
        .insert(memberships)
        .values({ orgId, userId: user.id, role, ...created(actor, now) })
        .returning();
      if (row === undefined) throw AppError.internal();
      await writeAudit(tx, actor, {
        action: 'membership.create',
        entity: 'membership',
        entityId: `${orgId}:${user.id}`,
        orgId,
        after: row,
      });
      return { user: publicUser(user), role, since: row.createdAt.toISOString() };
    });
  }

  async changeMemberRole(orgId: OrgId, userId: UserId, role: OrgRole, actor: Actor): Promise<MemberView> {
    return this.o.db.transaction(async (tx) => {
      await this.lockOrg(tx, orgId);
      const before = await this.membership(tx, orgId, userId);
      if (before.role === 'admin' && role !== 'admin') await this.assertAnotherAdmin(tx, orgId, userId);
      const now = this.o.now();
      const [after] = await tx
        .update(memberships)
        .set({ role, ...updated(actor, now) })
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
        .returning();
      if (after === undefined) throw AppError.internal();
      await writeAudit(tx, actor, {
        action: 'membership.update',
        entity: 'membership',
        entityId: `${orgId}:${userId}`,
        orgId,
        before,
        after,
      });
      const user = await this.getUserIn(tx, userId);
      return { user: publicUser(user), role: after.role, since: after.createdAt.toISOString() };
    });
  }

  async removeMember(orgId: OrgId, userId: UserId, actor: Actor): Promise<void> {
    await this.o.db.transaction(async (tx) => {
      await this.lockOrg(tx, orgId);
      const before = await this.membership(tx, orgId, userId);
      if (before.role === 'admin') await this.assertAnotherAdmin(tx, orgId, userId);
      await tx.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
      await writeAudit(tx, actor, {
        action: 'membership.delete',
        entity: 'membership',
        entityId: `${orgId}:${userId}`,
        orgId,
        before,
      });
    });
  }

  // ---- user administration ---------------------------------------------------------------------------

  async searchUsers(opts: {
    q?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  }): Promise<Page<PublicUser>> {
    const after =
      opts.cursor === undefined
        ? undefined
        : decodeCursor(opts.cursor, z.tuple([cursorPart.timestamp, cursorPart.text]));
    const rows = await this.o.db
      .select()
      .from(users)
      .where(
        and(
          searchFilter(opts.q),
          after === undefined
            ? undefined
            : or(
                gt(users.createdAt, after[0]),
                and(eq(users.createdAt, after[0]), gt(users.id, after[1] as UserId)),
              ),
        ),
      )
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(opts.limit + 1);
    const page = pageOf(rows, opts.limit, (r) => [r.createdAt.toISOString(), r.id]);
    return { items: page.items.map(publicUser), nextCursor: page.nextCursor };
  }

  /**
   * Disables or re-enables an account. Disabling ends every session in the same transaction, so it is
   * effective on the next request. `orgScope` is set when an org admin (not a superadmin) acts: they may
   * only act on accounts that belong to their organization alone and are not superadmins.
   */
  async setDisabled(userId: UserId, disabled: boolean, actor: Actor, orgScope?: OrgId): Promise<PublicUser> {
    if (userId === actor.id) throw AppError.precondition('You cannot disable your own account', 'self');
    return this.o.sessions.transaction(async (tx) => {
      const before = await this.lockManagedUser(tx, userId, orgScope);
      const now = this.o.now();
      const [after] = await tx
        .update(users)
        .set({ disabledAt: disabled ? (before.disabledAt ?? now) : null, ...updated(actor, now) })
        .where(eq(users.id, userId))
        .returning();
      if (after === undefined) throw AppError.internal();
      await writeAudit(tx, actor, {
        action: disabled ? 'user.disable' : 'user.enable',
        entity: 'user',
        entityId: userId,
        orgId: orgScope ?? null,
        before,
        after,
      });
      if (disabled) await this.o.sessions.invalidateAllForUser(tx, userId, actor, 'account_disabled');
      return publicUser(after);
    });
  }

  /**
   * Ends every session of an account (force sign-out). Access tokens minted from those sessions stop
   * working at once in auth and, through the session-ended announcement, in every other service. The
   * same `orgScope` rule as `setDisabled` applies: an org admin acts only on accounts of their organization alone.
   */
  async signOutEverywhere(
    userId: UserId,
    actor: Actor,
    orgScope?: OrgId,
  ): Promise<{ userId: UserId; sessionsEnded: number }> {
    if (userId === actor.id) throw AppError.precondition('Use Sign out to end your own sessions', 'self');
    return this.o.sessions.transaction(async (tx) => {
      await this.lockManagedUser(tx, userId, orgScope);
      const ended = await this.o.sessions.invalidateAllForUser(tx, userId, actor, 'forced_sign_out');
      await writeAudit(tx, actor, {
        action: 'user.sign_out_all',
        entity: 'user',
        entityId: userId,
        orgId: orgScope ?? null,
        after: { sessionsEnded: ended },
      });
      return { userId, sessionsEnded: ended };
    });
  }

  /**
   * Locks a user row an administrator acts on. With `orgScope` (an org admin, not a superadmin) the account
   * must belong to that organization alone and not be a superadmin.
   */
  private async lockManagedUser(tx: Db, userId: UserId, orgScope: OrgId | undefined): Promise<UserRow> {
    const [before] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    if (before === undefined) throw AppError.notFound('User');
    if (orgScope !== undefined) {
      const orgs = await this.membershipsOf(tx, userId);
      if (!orgs.some((m) => m.orgId === orgScope)) throw AppError.notFound('User');
      if (before.isSuperadmin || orgs.some((m) => m.orgId !== orgScope)) {
        throw new AppError(
          ErrorCode.PERMISSION_DENIED,
          'This account belongs to other organizations; ask a platform admin',
          { reason: 'outside_org' },
        );
      }
    }
    return before;
  }

  // ---- audit log ------------------------------------------------------------------------------------

  /**
   * Newest first. `orgId` limits to one organization's events; without it, the whole installation's. The
   * filter narrows by actor, action prefix, target entity and time range.
   */
  async auditLog(
    opts: {
      orgId?: OrgId | undefined;
      cursor?: string | undefined;
      limit: number;
    } & AuditFilter,
  ): Promise<Page<AuditEventRow>> {
    const before =
      opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, z.tuple([cursorPart.serial]))[0];
    const rows = await this.o.db
      .select()
      .from(auditEvents)
      .where(
        and(
          opts.orgId === undefined ? undefined : eq(auditEvents.orgId, opts.orgId),
          auditFilterWhere(auditEvents, opts),
          before === undefined ? undefined : lt(auditEvents.id, before),
        ),
      )
      .orderBy(desc(auditEvents.id))
      .limit(opts.limit + 1);
    return pageOf(rows, opts.limit, (r) => [r.id]);
  }

  // ---- OIDC ------------------------------------------------------------------------------------------

  /**
   * Finds or creates the user for an OIDC identity: first by (issuer, subject); then by e-mail, but only
   * when the provider says the address is verified. Linking to an existing account whose address was
   * never verified drops its password and sessions: otherwise whoever registered the address first
   * (perhaps an attacker pre-registering a victim's address) would share the account with its owner.
   */
  async signInWithOidc(
    identity: {
      issuer: string;
      subject: string;
      email?: string | undefined;
      emailVerified: boolean;
      name?: string | undefined;
    },
    client: ClientInfo,
  ): Promise<{ user: UserRow; token: string; expiresAt: Date; created: boolean }> {
    return this.o.sessions.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SIGNUP_LOCK}::bigint)`);
      const [link] = await tx
        .select()
        .from(oidcAccounts)
        .where(and(eq(oidcAccounts.issuer, identity.issuer), eq(oidcAccounts.subject, identity.subject)));
      let user: UserRow | undefined = link === undefined ? undefined : await this.getUserIn(tx, link.userId);
      let createdUser = false;
      if (user === undefined) {
        if (identity.email === undefined || !identity.emailVerified) {
          throw AppError.precondition(
            'The identity provider did not confirm a verified e-mail address',
            'oidc_email_unverified',
          );
        }
        const existing = await this.findUserByEmail(tx, identity.email);
        if (existing !== undefined) {
          user = existing;
          const actor: Actor = { id: existing.id, requestId: client.requestId };
          if (existing.emailVerifiedAt === null) {
            const now = this.o.now();
            const [after] = await tx
              .update(users)
              .set({ emailVerifiedAt: now, passwordHash: null, ...updated(actor, now) })
              .where(eq(users.id, existing.id))
              .returning();
            await writeAudit(tx, actor, {
              action: 'user.verify_email_oidc',
              entity: 'user',
              entityId: existing.id,
              before: existing,
              after: after ?? null,
            });
            await this.o.sessions.invalidateAllForUser(tx, existing.id, actor, 'oidc_link_unverified');
            user = after ?? existing;
          }
        } else {
          if (!this.o.signupEnabled)
            throw AppError.precondition('Sign-up is disabled on this installation', 'signup_disabled');
          const [{ count } = { count: 0 }] = await tx
            .select({ count: sql<number>`count(*)::int` })
            .from(users);
          const userId = newUserId();
          const actor: Actor = { id: userId, requestId: client.requestId };
          user = await this.insertUser(tx, actor, {
            id: userId,
            email: identity.email.trim(),
            displayName: (identity.name ?? identity.email.split('@')[0] ?? 'User').slice(0, 100),
            passwordHash: null,
            isSuperadmin: count === 0,
            emailVerifiedAt: this.o.now(),
          });
          await this.insertOrganization(tx, actor, `${user.displayName}'s organization`, userId);
          createdUser = true;
        }
        const actor: Actor = { id: user.id, requestId: client.requestId };
        const now = this.o.now();
        const [linkRow] = await tx
          .insert(oidcAccounts)
          .values({
            issuer: identity.issuer,
            subject: identity.subject,
            userId: user.id,
            email: identity.email ?? null,
            ...created(actor, now),
          })
          .returning();
        await writeAudit(tx, actor, {
          action: 'oidc_account.link',
          entity: 'oidc_account',
          entityId: `${identity.issuer}#${identity.subject}`,
          after: linkRow ?? null,
        });
      }
      if (user.disabledAt !== null)
        throw new AppError(ErrorCode.PERMISSION_DENIED, 'This account is disabled', {
          reason: 'account_disabled',
        });
      const { token, session } = await this.o.sessions.create(
        tx,
        user.id,
        { id: user.id, requestId: client.requestId },
        client,
      );
      return { user, token, expiresAt: session.expiresAt, created: createdUser };
    });
  }

  // ---- internals -------------------------------------------------------------------------------------

  /** Inserts an account with its audit row (sign-up, OIDC and invitations create accounts through it). */
  async insertUser(
    tx: Db,
    actor: Actor,
    values: Pick<
      UserRow,
      'id' | 'email' | 'displayName' | 'passwordHash' | 'isSuperadmin' | 'emailVerifiedAt'
    >,
  ): Promise<UserRow> {
    const [user] = await tx
      .insert(users)
      .values({ ...values, ...created(actor, this.o.now()) })
      .returning();
    if (user === undefined) throw AppError.internal();
    await writeAudit(tx, actor, {
      action: 'user.create',
      entity: 'user',
      entityId: user.id,
      after: userView(user),
    });
    return user;
  }

  private async insertOrganization(tx: Db, actor: Actor, name: string, adminId: UserId): Promise<OrgId> {
    const now = this.o.now();
    const orgId = newOrgId();
    const [org] = await tx
      .insert(organizations)
      .values({ id: orgId, name, ...created(actor, now) })
      .returning();
    await writeAudit(tx, actor, {
      action: 'organization.create',
      entity: 'organization',
      entityId: orgId,
      orgId,
      after: org ?? null,
    });
    const [member] = await tx
      .insert(memberships)
      .values({ orgId, userId: adminId, role: 'admin', ...created(actor, now) })
      .returning();
    await writeAudit(tx, actor, {
      action: 'membership.create',
      entity: 'membership',
      entityId: `${orgId}:${adminId}`,
      orgId,
      after: member ?? null,
    });
    return orgId;
  }

  private async issueVerification(tx: Db, actor: Actor, user: UserRow): Promise<void> {
    const token = await this.insertOneTimeToken(tx, actor, user, 'email_verification', VERIFICATION_TTL_MS);
    await this.enqueueMail(tx, actor, user, {
      $case: 'emailVerification',
      value: {
        actionUrl: `${this.o.publicUrl}/verify-email#token=${token}`,
        expiresInHours: VERIFICATION_TTL_MS / 3_600_000,
      },
    });
  }

  private async insertOneTimeToken(
    tx: Db,
    actor: Actor,
    user: UserRow,
    purpose: 'email_verification' | 'password_reset',
    ttlMs: number,
  ): Promise<string> {
    const token = generateToken();
    const now = this.o.now();
    const [row] = await tx
      .insert(oneTimeTokens)
      .values({
        id: hashToken(token),
        userId: user.id,
        purpose,
        email: user.email,
        expiresAt: new Date(now.getTime() + ttlMs),
        ...created(actor, now),
      })
      .returning();
    await writeAudit(tx, actor, {
      action: `one_time_token.create`,
      entity: 'one_time_token',
      entityId: hashToken(token).slice(0, 16),
      after: row === undefined ? null : { purpose, userId: user.id, expiresAt: row.expiresAt },
    });
    return token;
  }

  private async enqueueMail(
    tx: Db,
    actor: Actor,
    user: UserRow,
    params: NonNullable<EnqueueRequest['params']>,
  ): Promise<void> {
    const row = await this.o.relay.add(
      tx,
      {
        rpc: 'enqueue',
        request: {
          idempotencyKey: '',
          orgId: '',
          recipient: { userId: user.id, email: user.email, phone: '', displayName: user.displayName },
          params,
        },
      },
      actor.id,
    );
    // The payload carries the one-time link; the audit row records only that a mail was queued.
    await writeAudit(tx, actor, {
      action: 'notification.enqueue',
      entity: 'notification_relay',
      entityId: row.id,
      after: { kind: params.$case, userId: user.id },
    });
  }

  private async findUsableToken(
    token: string,
    purpose: 'email_verification' | 'password_reset',
  ): Promise<{ tokenId: string; user: UserRow; email: string }> {
    const invalid = () =>
      new AppError(ErrorCode.FAILED_PRECONDITION, 'This link is invalid, used or expired', {
        reason: 'token_invalid',
      });
    if (!isTokenShaped(token)) throw invalid();
    const [row] = await this.o.db
      .select({ token: oneTimeTokens, user: users })
      .from(oneTimeTokens)
      .innerJoin(users, eq(users.id, oneTimeTokens.userId))
      .where(and(eq(oneTimeTokens.id, hashToken(token)), eq(oneTimeTokens.purpose, purpose)));
    if (
      row === undefined ||
      row.token.usedAt !== null ||
      row.token.expiresAt <= this.o.now() ||
      row.user.disabledAt !== null
    ) {
      throw invalid();
    }
    return { tokenId: row.token.id, user: row.user, email: row.token.email };
  }

  /** Marks a token used; the `used_at is null` condition makes two concurrent uses produce one winner. */
  private async consumeToken(tx: Db, actor: Actor, tokenId: string): Promise<void> {
    const now = this.o.now();
    const consumed = await tx
      .update(oneTimeTokens)
      .set({ usedAt: now, ...updated(actor, now) })
      .where(
        and(eq(oneTimeTokens.id, tokenId), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)),
      )
      .returning({ id: oneTimeTokens.id, purpose: oneTimeTokens.purpose });
    if (consumed.length !== 1) {
      throw new AppError(ErrorCode.FAILED_PRECONDITION, 'This link is invalid, used or expired', {
        reason: 'token_invalid',
      });
    }
    await writeAudit(tx, actor, {
      action: 'one_time_token.use',
      entity: 'one_time_token',
      entityId: tokenId.slice(0, 16),
      after: { purpose: consumed[0]?.purpose, usedAt: now },
    });
  }

  private async consumeOutstanding(
    tx: Db,
    actor: Actor,
    userId: UserId,
    purpose: 'email_verification' | 'password_reset',
  ): Promise<void> {
    const now = this.o.now();
    const rows = await tx
      .update(oneTimeTokens)
      .set({ usedAt: now, ...updated(actor, now) })
      .where(
        and(
          eq(oneTimeTokens.userId, userId),
          eq(oneTimeTokens.purpose, purpose),
          isNull(oneTimeTokens.usedAt),
        ),
      )
      .returning({ id: oneTimeTokens.id });
    if (rows.length > 0) {
      await writeAudit(tx, actor, {
        action: 'one_time_token.revoke_outstanding',
        entity: 'user',
        entityId: userId,
        after: { purpose, count: rows.length },
      });
    }
  }

  private async setPassword(
    tx: Db,
    actor: Actor,
    before: UserRow,
    passwordHash: string,
    action: string,
  ): Promise<void> {
    const now = this.o.now();
    const [after] = await tx
      .update(users)
      .set({ passwordHash, ...updated(actor, now) })
      .where(eq(users.id, before.id))
      .returning();
    await writeAudit(tx, actor, {
      action,
      entity: 'user',
      entityId: before.id,
      before,
      after: after ?? null,
    });
  }

  private async getUserIn(tx: Db, userId: UserId): Promise<UserRow> {
    const [row] = await tx.select().from(users).where(eq(users.id, userId));
    if (row === undefined) throw AppError.notFound('User');
    return row;
  }

  /** Serialises membership changes of one organization, so the last-admin rule holds under races. */
  private async lockOrg(tx: Db, orgId: OrgId): Promise<void> {
    const [org] = await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.id, orgId))
      .for('update');
    if (org === undefined) throw AppError.notFound('Organization');
  }

  private async membership(tx: Db, orgId: OrgId, userId: UserId) {
    const [row] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
    if (row === undefined) throw AppError.notFound('Member');
    return row;
  }

  private async assertAnotherAdmin(tx: Db, orgId: OrgId, leaving: UserId): Promise<void> {
    const [other] = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(
        and(eq(memberships.orgId, orgId), eq(memberships.role, 'admin'), ne(memberships.userId, leaving)),
      )
      .limit(1);
    if (other === undefined)
      throw AppError.precondition(
        'An organization needs at least one admin: make another member an admin first',
        'last_admin',
      );
  }
}

/** People whose e-mail or name contains `q`, or whose id is `q` (an id read off an audit log). */
function searchFilter(q: string | undefined) {
  if (q === undefined || q.trim() === '') return undefined;
  const pattern = `%${q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return or(eq(users.id, q.trim() as UserId), ilike(users.email, pattern), ilike(users.displayName, pattern));
}
