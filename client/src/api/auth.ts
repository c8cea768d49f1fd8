// Routes of platform/auth (src/routes/auth-routes.ts, org-routes.ts).
import { api } from './http.js';
import { renewingSession } from './session.js';

export interface PublicUser {
  id: string;
  email: string;
  displayName: string;
  emailVerified: boolean;
  disabled: boolean;
  superadmin: boolean;
  createdAt: string;
}

export type OrgRole = 'admin' | 'host' | 'member';

export interface Me {
  user: PublicUser;
  memberships: { orgId: string; orgName: string; role: OrgRole }[];
}

export interface Providers {
  password: boolean;
  signUp: boolean;
  oidc: { name: string; startUrl: string } | null;
}

export const authApi = {
  me: () => api<Me>('GET', '/api/auth/me'),
  providers: () => api<Providers>('GET', '/api/auth/providers'),
  signUp: (body: { email: string; password: string; displayName: string; organizationName?: string }) =>
    api<{ user: PublicUser; organizationId: string }>('POST', '/api/auth/sign-up', body),
  signIn: (body: { email: string; password: string }) =>
    api<{ user: PublicUser }>('POST', '/api/auth/sign-in', body),
  signOut: () => api<void>('POST', '/api/auth/sign-out'),
  requestReset: (email: string) => api<void>('POST', '/api/auth/password-reset/request', { email }),
  confirmReset: (token: string, password: string) =>
    api<void>('POST', '/api/auth/password-reset/confirm', { token, password }),
  verifyEmail: (token: string) => api<void>('POST', '/api/auth/verify-email', { token }),
  /** Changes the signed-in person's display name (the sign-up rules); answers the updated me. */
  updateMe: (body: { displayName: string }) => api<Me>('PATCH', '/api/auth/me', body),
  /**
   * Changes the signed-in person's password: refused 403 `wrong_password` when the current one is wrong.
   * Ends every session of the account and starts a fresh one for this browser (a new cookie).
   */
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    renewingSession(api<void>('POST', '/api/auth/password', body)),
  /** What an invitation link is for; refused (412) with the reason when it cannot be used. */
  previewInvitation: (token: string) =>
    api<InvitationPreview>('POST', '/api/auth/invitations/preview', { token }),
  /** Signs up with an invitation link: the new account is a member of the inviting organization. */
  acceptInvitation: (body: { token: string; email: string; password: string; displayName: string }) =>
    api<{ user: PublicUser; organization: { id: string; name: string }; role: OrgRole }>(
      'POST',
      '/api/auth/invitations/accept',
      body,
    ),
};

export interface InvitationPreview {
  email: string;
  organization: { id: string; name: string };
  role: OrgRole;
  invitedBy: string;
  expiresAt: string;
}

/** An open invitation of an address without an account (platform/auth src/invitations.ts). */
export interface Invitation {
  id: string;
  email: string;
  role: OrgRole;
  invitedBy: { id: string; displayName: string };
  createdAt: string;
  lastSentAt: string;
  expiresAt: string;
  sendCount: number;
  expired: boolean;
}

export type InviteOutcome =
  | { outcome: 'member_added'; member: MemberView }
  | { outcome: 'invited'; invitation: Invitation; resent: boolean };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AuditEvent {
  id: number | string;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  orgId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

/** One organization in the superadmin's list (platform/auth src/organizations.ts). */
export interface OrganizationSummary {
  id: string;
  name: string;
  createdAt: string;
  memberCount: number;
}

export interface SignOutResult {
  userId: string;
  sessionsEnded: number;
}

export interface MemberView {
  user: PublicUser;
  role: OrgRole;
  since: string;
}

function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s === '' ? '' : `?${s}`;
}

export const adminApi = {
  // Platform administration (superadmin).
  users: (q: string, cursor?: string) =>
    api<Page<PublicUser>>('GET', `/api/admin/users${qs({ q, cursor, limit: 50 })}`),
  disableUser: (id: string) => api<PublicUser>('POST', `/api/admin/users/${encodeURIComponent(id)}/disable`),
  enableUser: (id: string) => api<PublicUser>('POST', `/api/admin/users/${encodeURIComponent(id)}/enable`),
  /** Ends every session of the account (force sign-out). */
  signOutUser: (id: string) =>
    api<SignOutResult>('POST', `/api/admin/users/${encodeURIComponent(id)}/sign-out`),
  /** Every organization whose name contains `q` (or whose id is `q`), by name. */
  organizations: (q: string, cursor?: string) =>
    api<Page<OrganizationSummary>>('GET', `/api/admin/orgs${qs({ q, cursor, limit: 50 })}`),
  /** `filter`: actor, action (a prefix), target, from, to (ISO instants). */
  platformAudit: (filter: Record<string, string> = {}, cursor?: string) =>
    api<Page<AuditEvent>>('GET', `/api/admin/audit${qs({ ...filter, cursor, limit: 50 })}`),
  // Organization administration (org admin).
  members: (orgId: string, q: string, cursor?: string) =>
    api<Page<MemberView>>(
      'GET',
      `/api/orgs/${encodeURIComponent(orgId)}/members${qs({ q, cursor, limit: 50 })}`,
    ),
  /** Adds an address that has an account at once, else mails it an invitation (or sends the open one again). */
  invite: (orgId: string, email: string, role: OrgRole) =>
    api<InviteOutcome>('POST', `/api/orgs/${encodeURIComponent(orgId)}/invitations`, { email, role }),
  invitations: (orgId: string, cursor?: string) =>
    api<Page<Invitation>>(
      'GET',
      `/api/orgs/${encodeURIComponent(orgId)}/invitations${qs({ cursor, limit: 50 })}`,
    ),
  resendInvitation: (orgId: string, id: string) =>
    api<Invitation>(
      'POST',
      `/api/orgs/${encodeURIComponent(orgId)}/invitations/${encodeURIComponent(id)}/resend`,
    ),
  revokeInvitation: (orgId: string, id: string) =>
    api<void>('DELETE', `/api/orgs/${encodeURIComponent(orgId)}/invitations/${encodeURIComponent(id)}`),
  /** Adds an existing account; an address without an account is refused (404 user_not_found). */
  addMember: (orgId: string, email: string, role: OrgRole) =>
    api<MemberView>('POST', `/api/orgs/${encodeURIComponent(orgId)}/members`, { email, role }),
  changeRole: (orgId: string, userId: string, role: OrgRole) =>
    api<MemberView>('PATCH', `/api/orgs/${encodeURIComponent(orgId)}/members/${encodeURIComponent(userId)}`, {
      role,
    }),
  disableMember: (orgId: string, userId: string) =>
    api<PublicUser>(
      'POST',
      `/api/orgs/${encodeURIComponent(orgId)}/members/${encodeURIComponent(userId)}/disable`,
    ),
  enableMember: (orgId: string, userId: string) =>
    api<PublicUser>(
      'POST',
      `/api/orgs/${encodeURIComponent(orgId)}/members/${encodeURIComponent(userId)}/enable`,
    ),
  signOutMember: (orgId: string, userId: string) =>
    api<SignOutResult>(
      'POST',
      `/api/orgs/${encodeURIComponent(orgId)}/members/${encodeURIComponent(userId)}/sign-out`,
    ),
  orgAudit: (orgId: string, filter: Record<string, string> = {}, cursor?: string) =>
    api<Page<AuditEvent>>(
      'GET',
      `/api/orgs/${encodeURIComponent(orgId)}/audit${qs({ ...filter, cursor, limit: 50 })}`,
    ),
};

export { qs };
