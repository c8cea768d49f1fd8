// Routes of platform/auth (src/routes/auth-routes.ts, org-routes.ts).
import { api } from './http.js';

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
};

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
