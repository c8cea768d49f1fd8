// The one permission map of Origo. Every HTTP route of every service declares what it needs through
// `requirePermission` (or `publicRoute` / `authenticatedRoute`), and tests enumerate the route table
// against this map, so a route cannot ship without a decision.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { AppError, ErrorCode } from '@origo/kit';
import type { OrgId, UserId } from './ids.js';

export const PERMISSIONS = [
  'org:read',
  'org:update',
  'org:manage_members',
  'meeting:create',
  'meeting:read',
  'meeting:join',
  'meeting:update',
  'meeting:delete',
  'meeting:host',
  'recording:read',
  'recording:delete',
  'audit:read',
  'user:disable',
  'platform:admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ORG_ROLES = ['admin', 'host', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** Roles that can be held: per organization, per meeting (guest), or platform-wide (superadmin). */
export type Role = OrgRole | 'guest' | 'superadmin';

const MEMBER: readonly Permission[] = ['org:read', 'meeting:read', 'meeting:join', 'recording:read'];
const HOST: readonly Permission[] = [
  ...MEMBER,
  'meeting:create',
  'meeting:update',
  'meeting:delete',
  'meeting:host',
];
const ADMIN: readonly Permission[] = [
  ...HOST,
  'org:update',
  'org:manage_members',
  'recording:delete',
  'audit:read',
  'user:disable',
];

/**
 * Role -> permissions. Organization roles apply inside their organization only. `guest` applies to the
 * one meeting the guest was invited to (the control service scopes it by meeting id). `superadmin`
 * holds every permission in every organization, and is the only holder of `platform:admin`.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  member: new Set(MEMBER),
  host: new Set(HOST),
  admin: new Set(ADMIN),
  guest: new Set<Permission>(['meeting:read', 'meeting:join']),
  superadmin: new Set(PERMISSIONS),
};

/** Permissions that are not about one organization; `orgFrom` is not used for them. */
export const PLATFORM_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(['platform:admin']);

export interface Membership {
  orgId: OrgId;
  role: OrgRole;
}

/** The authenticated caller, however it proved itself (session cookie or access token). */
export interface Principal {
  userId: UserId;
  email: string;
  emailVerified: boolean;
  displayName: string;
  superadmin: boolean;
  memberships: Membership[];
  /** The session behind the credential (its id is the hash stored by auth, never the cookie value). */
  sessionId: string;
  via: 'session' | 'access_token';
}

export function roleIn(principal: Principal, orgId: OrgId | string): OrgRole | undefined {
  return principal.memberships.find((m) => m.orgId === orgId)?.role;
}

/** The single decision function. */
export function hasPermission(principal: Principal, permission: Permission, orgId?: string | null): boolean {
  if (principal.superadmin) return true;
  if (PLATFORM_PERMISSIONS.has(permission)) return false;
  if (orgId === undefined || orgId === null || orgId === '') return false;
  const role = roleIn(principal, orgId);
  return role !== undefined && ROLE_PERMISSIONS[role].has(permission);
}

/** What a route needs, kept in its fastify route config so tests can enumerate every route. */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'permission'; permission: Permission; orgParam?: string };

export type PrincipalResolver = (request: FastifyRequest) => Promise<Principal | null>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyInstance {
    origoPrincipalResolver: PrincipalResolver;
  }
}

/** One row of a service's route table, as recorded by `installAccessControl`. */
export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess | undefined;
}

/**
 * Installs how this service learns who is calling (a session cookie, a verified access token, ...). Call
 * once, before routes are added. With `enforce`, adding a route without an `access` config throws, so
 * a route cannot be added without a permission decision.
 */
export function installAccessControl(
  app: FastifyInstance,
  resolver: PrincipalResolver,
  options: { enforce?: boolean; exempt?: (url: string) => boolean } = {},
): RouteEntry[] {
  app.decorate('origoPrincipalResolver', resolver);
  app.decorateRequest('principal', null);
  const table: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    const config = route.config as { access?: RouteAccess } | undefined;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      table.push({ method: String(method), url: route.url, access: config?.access });
    if (
      options.enforce !== false &&
      config?.access === undefined &&
      !(options.exempt?.(route.url) ?? false)
    ) {
      throw new TypeError(
        `route ${methods.join(',')} ${route.url} declares no access (use requirePermission)`,
      );
    }
  });
  return table;
}

async function resolvePrincipal(request: FastifyRequest): Promise<Principal | null> {
  const resolver = request.server.origoPrincipalResolver as PrincipalResolver | undefined;
  if (resolver === undefined) throw AppError.internal('access control is not installed on this service');
  request.principal ??= await resolver(request);
  return request.principal;
}

type Guard = Pick<RouteShorthandOptions, 'preHandler'> & { config: { access: RouteAccess } };

/** The caller must hold `permission` in the organization `orgFrom` names (ignored for platform permissions). */
export function requirePermission(
  permission: Permission,
  options: { orgFrom?: (request: FastifyRequest) => string | undefined; orgParam?: string } = {},
): Guard {
  const orgFrom =
    options.orgFrom ??
    (options.orgParam === undefined
      ? undefined
      : (request: FastifyRequest) =>
          (request.params as Record<string, string | undefined>)[options.orgParam as string]);
  if (orgFrom === undefined && !PLATFORM_PERMISSIONS.has(permission)) {
    throw new TypeError(
      `requirePermission(${permission}) needs orgFrom or orgParam: it is granted per organization`,
    );
  }
  return {
    config: {
      access: {
        kind: 'permission',
        permission,
        ...(options.orgParam === undefined ? {} : { orgParam: options.orgParam }),
      },
    },
    async preHandler(request: FastifyRequest, _reply: FastifyReply) {
      const principal = await resolvePrincipal(request);
      if (principal === null) throw AppError.unauthenticated();
      const orgId = orgFrom?.(request);
      if (!hasPermission(principal, permission, orgId)) {
        throw new AppError(ErrorCode.PERMISSION_DENIED, `Requires ${permission}`, {
          reason: 'missing_permission',
        });
      }
    },
  };
}

/** Any signed-in user; the handler decides what they may see (their own data). */
export function authenticatedRoute(): Guard {
  return {
    config: { access: { kind: 'authenticated' } },
    async preHandler(request: FastifyRequest) {
      if ((await resolvePrincipal(request)) === null) throw AppError.unauthenticated();
    },
  };
}

/** No credential needed (sign-in, JWKS, ...); say so explicitly. */
export function publicRoute(): Guard {
  return { config: { access: { kind: 'public' } } };
}

/** The caller of a public route when its request carries a live credential, else null. */
export async function principalIfAny(request: FastifyRequest): Promise<Principal | null> {
  return resolvePrincipal(request);
}

/** The principal a guarded handler runs for; throws if the route was not guarded. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw AppError.unauthenticated();
  return request.principal;
}
