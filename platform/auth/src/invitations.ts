// Invitations of e-mail addresses without an account into an organization. An admin invites; the
// invitation mail (a single-use sign-up link) goes to the notification service through the relay, in
// the same transaction as the invitation; signing up with the link creates the account already a member
// with the invited role. Every change is audited in the organization's log.
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { AppError, ErrorCode } from '@origo/kit';
import type { NotificationRelay } from '@origo/notification-relay';
import { z } from 'zod';
import { SIGNUP_LOCK, type Accounts, type ClientInfo, type MemberView } from './accounts.js';
import { created, updated, writeAudit, type Actor, type Db } from './audit.js';
import { generateToken, hashToken, isTokenShaped } from './crypto.js';
import {
  invitations,
  memberships,
  organizations,
  users,
  type InvitationRow,
  type OrganizationRow,
  type UserRow,
} from './db/schema.js';
import { newInvitationId, newUserId, type InvitationId, type OrgId, type UserId } from './ids.js';
import { cursorPart, decodeCursor, pageOf, type Page } from './pagination.js';
import { passwordProblem, type PasswordHasher } from './password.js';
import type { OrgRole } from './rbac.js';
import type { SessionManager } from './sessions.js';

/** How long an invitation link works; a resend starts the period again. */
export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

/** Why a link cannot be used; the client shows what to do next for each. */
export type ClosedReason =
  'invitation_invalid' | 'invitation_expired' | 'invitation_used' | 'invitation_revoked';

const CLOSED_MESSAGES: Readonly<Record<ClosedReason, string>> = {
  invitation_invalid:
    'This invitation link is not valid; a newer invitation mail may have replaced it. Use the link in the most recent mail, or ask for a new invitation.',
  invitation_expired: 'This invitation has expired. Ask an admin of the organization to send it again.',
  invitation_used:
    'This invitation was already used to create an account. Sign in with that account instead.',
  invitation_revoked:
    'This invitation was withdrawn. Ask an admin of the organization if you should still join.',
};

function closed(reason: ClosedReason): AppError {
  return AppError.precondition(CLOSED_MESSAGES[reason], reason);
}

/** What the Users tab shows of an open invitation. */
export interface InvitationView {
  id: InvitationId;
  email: string;
  role: OrgRole;
  invitedBy: { id: UserId; displayName: string };
  createdAt: string;
  lastSentAt: string;
  expiresAt: string;
  sendCount: number;
  expired: boolean;
}

export type InviteOutcome =
  | { outcome: 'member_added'; member: MemberView }
  | { outcome: 'invited'; invitation: InvitationView; resent: boolean };

/** What the holder of a link sees before signing up. */
export interface InvitationPreview {
  email: string;
  organization: { id: OrgId; name: string };
  role: OrgRole;
  invitedBy: string;
  expiresAt: string;
}

/** Who sends an invitation mail: the actor, and the name the mail shows. */
export interface Inviter {
  actor: Actor;
  displayName: string;
}

export interface InvitationsOptions {
  db: Db;
  accounts: Accounts;
  hasher: PasswordHasher;
  sessions: SessionManager;
  relay: NotificationRelay;
  now: () => Date;
  publicUrl: string;
}

const sameEmail = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export class Invitations {
  constructor(private readonly o: InvitationsOptions) {}

  /**
   * Adds an address that has an account as a member at once (as `Accounts.addMember`); otherwise invites
   * it. Inviting an address with an open invitation sends that invitation again (a new link, a new
   * period, the role now chosen) instead of making a second one.
   */
  async invite(
    orgId: OrgId,
    input: { email: string; role: OrgRole },
    inviter: Inviter,
  ): Promise<InviteOutcome> {
    const email = input.email.trim();
    const addMember = async (): Promise<InviteOutcome> => ({
      outcome: 'member_added',
      member: await this.o.accounts.addMember(orgId, email, input.role, inviter.actor),
    });
    if ((await this.o.accounts.findUserByEmail(this.o.db, email)) !== undefined) return addMember();
    const result = await this.o.db.transaction(async (tx) => {
      const org = await this.lockOrg(tx, orgId);
      // An account made since the look above is added like any other, after this transaction.
      if ((await this.o.accounts.findUserByEmail(tx, email)) !== undefined) return null;
      const [open] = await tx
        .select()
        .from(invitations)
        .where(
          and(
            eq(invitations.orgId, orgId),
            sql`lower(${invitations.email}) = ${email.toLowerCase()}`,
            isNull(invitations.acceptedAt),
            isNull(invitations.revokedAt),
          ),
        )
        .for('update');
      if (open !== undefined) {
        const row = await this.sendAgain(tx, open, org, input.role, inviter);
        return { row, resent: true };
      }
      const token = generateToken();
      const now = this.o.now();
      const [row] = await tx
        .insert(invitations)
        .values({
          id: newInvitationId(),
          orgId,
          email,
          role: input.role,
          tokenHash: hashToken(token),
          expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
          invitedBy: inviter.actor.id as UserId,
          lastSentAt: now,
          sendCount: 1,
          ...created(inviter.actor, now),
        })
        .returning();
      if (row === undefined) throw AppError.internal();
      await writeAudit(tx, inviter.actor, {
        action: 'invitation.create',
        entity: 'invitation',
        entityId: row.id,
        orgId,
        after: row,
      });
      await this.mail(tx, row, org, inviter, token);
      return { row, resent: false };
    });
    if (result === null) return addMember();
    this.o.relay.kick();
    return {
      outcome: 'invited',
      invitation: this.view(result.row, inviter.displayName),
      resent: result.resent,
    };
  }

  /** Open invitations of the organization (expired ones too, so they can be sent again), newest first. */
  async list(
    orgId: OrgId,
    opts: { cursor?: string | undefined; limit: number },
  ): Promise<Page<InvitationView>> {
    await this.o.accounts.getOrganization(orgId);
    const before =
      opts.cursor === undefined
        ? undefined
        : decodeCursor(opts.cursor, z.tuple([cursorPart.timestamp, cursorPart.text]));
    const rows = await this.o.db
      .select({ invitation: invitations, inviterName: users.displayName })
      .from(invitations)
      .leftJoin(users, eq(users.id, invitations.invitedBy))
      .where(
        and(
          eq(invitations.orgId, orgId),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          before === undefined
            ? undefined
            : or(
                lt(invitations.createdAt, before[0]),
                and(eq(invitations.createdAt, before[0]), lt(invitations.id, before[1] as InvitationId)),
              ),
        ),
      )
      .orderBy(desc(invitations.createdAt), desc(invitations.id))
      .limit(opts.limit + 1);
    const page = pageOf(rows, opts.limit, (r) => [r.invitation.createdAt.toISOString(), r.invitation.id]);
    return {
      items: page.items.map((r) => this.view(r.invitation, r.inviterName ?? '')),
      nextCursor: page.nextCursor,
    };
  }

  /** Sends an open invitation again: a new link (the previous one stops working) and a new period. */
  async resend(orgId: OrgId, id: InvitationId, inviter: Inviter): Promise<InvitationView> {
    const row = await this.o.db.transaction(async (tx) => {
      const org = await this.lockOrg(tx, orgId);
      const open = await this.lockInvitation(tx, orgId, id);
      if (open.acceptedAt !== null) throw closed('invitation_used');
      if (open.revokedAt !== null) throw closed('invitation_revoked');
      return this.sendAgain(tx, open, org, open.role, inviter);
    });
    this.o.relay.kick();
    return this.view(row, inviter.displayName);
  }

  /** Withdraws an invitation; its link stops working. Withdrawing it again changes nothing. */
  async revoke(orgId: OrgId, id: InvitationId, actor: Actor): Promise<void> {
    await this.o.db.transaction(async (tx) => {
      const before = await this.lockInvitation(tx, orgId, id);
      if (before.acceptedAt !== null) throw closed('invitation_used');
      if (before.revokedAt !== null) return;
      const now = this.o.now();
      const [after] = await tx
        .update(invitations)
        .set({ revokedAt: now, ...updated(actor, now) })
        .where(eq(invitations.id, id))
        .returning();
      await writeAudit(tx, actor, {
        action: 'invitation.revoke',
        entity: 'invitation',
        entityId: id,
        orgId,
        before,
        after: after ?? null,
      });
    });
  }

  /** The invitation behind a link, or why it cannot be used. */
  async preview(token: string): Promise<InvitationPreview> {
    const found = await this.openByToken(this.o.db, token);
    const [inviter] = await this.o.db
      .select({ name: users.displayName })
      .from(users)
      .where(eq(users.id, found.row.invitedBy));
    return {
      email: found.row.email,
      organization: { id: found.org.id, name: found.org.name },
      role: found.row.role,
      invitedBy: inviter?.name ?? '',
      expiresAt: found.row.expiresAt.toISOString(),
    };
  }

  /**
   * Signs up with an invitation link: creates the account (its address counts as confirmed, since the
   * link was mailed to it), makes it a member with the invited role, uses up the invitation and starts
   * a session, in one transaction. Works also where open sign-up is disabled: an admin asked for it.
   */
  async signUp(
    input: { token: string; email: string; password: string; displayName: string },
    client: ClientInfo,
  ): Promise<{
    user: UserRow;
    organization: { id: OrgId; name: string };
    role: OrgRole;
    token: string;
    expiresAt: Date;
  }> {
    // Cheap checks first, so a dead link or a wrong address costs no password hash.
    const first = await this.openByToken(this.o.db, input.token);
    if (!sameEmail(first.row.email, input.email)) {
      throw AppError.invalid('Use the address the invitation was sent to', [
        { field: 'email', message: `must be ${first.row.email}, the address the invitation was sent to` },
      ]);
    }
    const problem = passwordProblem(input.password, input.email);
    if (problem !== null)
      throw AppError.invalid('Password refused', [{ field: 'password', message: problem }]);
    const passwordHash = await this.o.hasher.hash(input.password);
    return this.o.sessions.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SIGNUP_LOCK}::bigint)`);
      // Locked and checked again: two sign-ups with one link produce one account.
      const { row, org } = await this.openByToken(tx, input.token, true);
      if ((await this.o.accounts.findUserByEmail(tx, row.email)) !== undefined) {
        throw new AppError(
          ErrorCode.ALREADY_EXISTS,
          'An account with this e-mail address exists. Sign in, and ask an admin of the organization to add it.',
          { reason: 'email_taken' },
        );
      }
      const now = this.o.now();
      const userId = newUserId();
      const actor: Actor = { id: userId, requestId: client.requestId };
      const user = await this.o.accounts.insertUser(tx, actor, {
        id: userId,
        email: input.email.trim(),
        displayName: input.displayName.trim(),
        passwordHash,
        isSuperadmin: false,
        emailVerifiedAt: now,
      });
      const [member] = await tx
        .insert(memberships)
        .values({ orgId: org.id, userId, role: row.role, ...created(actor, now) })
        .returning();
      await writeAudit(tx, actor, {
        action: 'membership.create',
        entity: 'membership',
        entityId: `${org.id}:${userId}`,
        orgId: org.id,
        after: member ?? null,
      });
      const [accepted] = await tx
        .update(invitations)
        .set({ acceptedAt: now, acceptedBy: userId, ...updated(actor, now) })
        .where(and(eq(invitations.id, row.id), isNull(invitations.acceptedAt)))
        .returning();
      if (accepted === undefined) throw closed('invitation_used');
      await writeAudit(tx, actor, {
        action: 'invitation.accept',
        entity: 'invitation',
        entityId: row.id,
        orgId: org.id,
        before: row,
        after: accepted,
      });
      const { token, session } = await this.o.sessions.create(tx, userId, actor, client);
      return {
        user,
        organization: { id: org.id, name: org.name },
        role: row.role,
        token,
        expiresAt: session.expiresAt,
      };
    });
  }

  // ---- internals -------------------------------------------------------------------------------------

  private view(row: InvitationRow, inviterName: string): InvitationView {
    return {
      id: row.id,
      email: row.email,
      role: row.role,
      invitedBy: { id: row.invitedBy, displayName: inviterName },
      createdAt: row.createdAt.toISOString(),
      lastSentAt: row.lastSentAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      sendCount: row.sendCount,
      expired: row.expiresAt <= this.o.now(),
    };
  }

  /** A new token and period for an open invitation, with its mail. */
  private async sendAgain(
    tx: Db,
    before: InvitationRow,
    org: OrganizationRow,
    role: OrgRole,
    inviter: Inviter,
  ): Promise<InvitationRow> {
    const token = generateToken();
    const now = this.o.now();
    const [after] = await tx
      .update(invitations)
      .set({
        role,
        tokenHash: hashToken(token),
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        invitedBy: inviter.actor.id as UserId,
        lastSentAt: now,
        sendCount: before.sendCount + 1,
        ...updated(inviter.actor, now),
      })
      .where(eq(invitations.id, before.id))
      .returning();
    if (after === undefined) throw AppError.internal();
    await writeAudit(tx, inviter.actor, {
      action: 'invitation.resend',
      entity: 'invitation',
      entityId: before.id,
      orgId: org.id,
      before,
      after,
    });
    await this.mail(tx, after, org, inviter, token);
    return after;
  }

  /** Queues the invitation mail in the caller's transaction; the caller kicks the relay after commit. */
  private async mail(
    tx: Db,
    row: InvitationRow,
    org: OrganizationRow,
    inviter: Inviter,
    token: string,
  ): Promise<void> {
    const relayed = await this.o.relay.add(
      tx,
      {
        rpc: 'enqueue',
        request: {
          idempotencyKey: '',
          orgId: org.id,
          recipient: { userId: '', email: row.email, phone: '', displayName: '' },
          params: {
            $case: 'orgInvitation',
            value: {
              orgId: org.id,
              orgName: org.name,
              inviterName: inviter.displayName,
              role: row.role,
              // The token rides in the fragment, which browsers never send to a server.
              actionUrl: `${this.o.publicUrl}/sign-up#invitation=${token}`,
              expiresInHours: INVITATION_TTL_MS / 3_600_000,
            },
          },
        },
      },
      inviter.actor.id,
      row.id,
    );
    // The payload carries the link; the audit row records only that a mail was queued.
    await writeAudit(tx, inviter.actor, {
      action: 'notification.enqueue',
      entity: 'notification_relay',
      entityId: relayed.id,
      orgId: org.id,
      after: { kind: 'orgInvitation', invitationId: row.id },
    });
  }

  /** The open invitation a link names, with its organization; `lock` takes the row for update. */
  private async openByToken(
    db: Db,
    token: string,
    lock = false,
  ): Promise<{ row: InvitationRow; org: OrganizationRow }> {
    if (!isTokenShaped(token)) throw closed('invitation_invalid');
    const query = db
      .select({ row: invitations, org: organizations })
      .from(invitations)
      .innerJoin(organizations, eq(organizations.id, invitations.orgId))
      .where(eq(invitations.tokenHash, hashToken(token)));
    const [found] = lock ? await query.for('update', { of: invitations }) : await query;
    if (found === undefined) throw closed('invitation_invalid');
    if (found.row.acceptedAt !== null) throw closed('invitation_used');
    if (found.row.revokedAt !== null) throw closed('invitation_revoked');
    if (found.row.expiresAt <= this.o.now()) throw closed('invitation_expired');
    return found;
  }

  /** Locks an invitation of the organization; one of another organization is not found, as elsewhere. */
  private async lockInvitation(tx: Db, orgId: OrgId, id: InvitationId): Promise<InvitationRow> {
    const [row] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.id, id), eq(invitations.orgId, orgId)))
      .for('update');
    if (row === undefined) throw AppError.notFound('Invitation');
    return row;
  }

  /** Serialises invitations of one organization with its membership changes (see Accounts.lockOrg). */
  private async lockOrg(tx: Db, orgId: OrgId): Promise<OrganizationRow> {
    const [org] = await tx.select().from(organizations).where(eq(organizations.id, orgId)).for('update');
    if (org === undefined) throw AppError.notFound('Organization');
    return org;
  }
}
