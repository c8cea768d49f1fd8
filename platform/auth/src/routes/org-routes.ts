import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, parseOrThrow } from '@origo/kit';
import { auditRangeProblem, orgAuditView } from '@origo/kit/db';
import type { Accounts } from '../accounts.js';
import type { Actor } from '../audit.js';
import type { Db } from '../audit.js';
import { memberDirectory } from '../directory.js';
import { isWellFormedId, type OrgId, type UserId } from '../ids.js';
import type { SigningKeyStore } from '../keys.js';
import { searchOrganizations } from '../organizations.js';
import { authenticatedRoute, principalOf, requirePermission } from '../rbac.js';
import * as v from './validation.js';

export interface OrgRouteDeps {
  accounts: Accounts;
  keys: SigningKeyStore;
  db: Db;
}

function actorOf(request: FastifyRequest): Actor {
  return { id: principalOf(request).userId, requestId: request.id };
}

function orgIdOf(request: FastifyRequest): OrgId {
  const id = (request.params as { orgId?: string }).orgId ?? '';
  if (!isWellFormedId(id)) throw AppError.notFound('Organization');
  return id as OrgId;
}

function userIdOf(request: FastifyRequest): UserId {
  const id = (request.params as { userId?: string }).userId ?? '';
  if (!isWellFormedId(id)) throw AppError.notFound('User');
  return id as UserId;
}

/** The audit query of a request; an empty time range is refused like any other bad input. */
function auditQueryOf(request: FastifyRequest) {
  const query = parseOrThrow(v.auditQuery, request.query, 'Invalid query parameters');
  const problem = auditRangeProblem(query);
  if (problem !== null)
    throw AppError.invalid('Invalid query parameters', [{ field: 'to', message: problem }]);
  return query;
}

export function registerOrgRoutes(app: FastifyInstance, deps: OrgRouteDeps): void {
  const { accounts } = deps;
  const org = { orgParam: 'orgId' };

  // ---- organizations the caller belongs to --------------------------------------------------------

  app.get('/api/orgs', { ...authenticatedRoute() }, async (request) => ({
    items: await accounts.myOrganizations(principalOf(request)),
  }));

  app.post('/api/orgs', { ...authenticatedRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.createOrgBody, request.body);
    const row = await accounts.createOrganization(principalOf(request), body.name, request.id);
    return reply.code(201).send({ id: row.id, name: row.name, createdAt: row.createdAt.toISOString() });
  });

  app.get('/api/orgs/:orgId', { ...requirePermission('org:read', org) }, async (request) => {
    const row = await accounts.getOrganization(orgIdOf(request));
    return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString() };
  });

  app.patch('/api/orgs/:orgId', { ...requirePermission('org:update', org) }, async (request) => {
    const body = parseOrThrow(v.updateOrgBody, request.body);
    const row = await accounts.renameOrganization(orgIdOf(request), body.name, actorOf(request));
    return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString() };
  });

  // ---- who belongs to the organization (every member; ids and names only) ---------------------------

  app.get('/api/orgs/:orgId/directory', { ...requirePermission('org:read', org) }, async (request) => {
    const orgId = orgIdOf(request);
    await accounts.getOrganization(orgId);
    return { items: await memberDirectory(deps.db, orgId) };
  });

  // ---- members (org admins) -----------------------------------------------------------------------

  app.get(
    '/api/orgs/:orgId/members',
    { ...requirePermission('org:manage_members', org) },
    async (request) => {
      const query = parseOrThrow(v.searchQuery, request.query);
      return accounts.listMembers(orgIdOf(request), query);
    },
  );

  app.post(
    '/api/orgs/:orgId/members',
    { ...requirePermission('org:manage_members', org) },
    async (request, reply) => {
      const body = parseOrThrow(v.addMemberBody, request.body);
      return reply
        .code(201)
        .send(await accounts.addMember(orgIdOf(request), body.email, body.role, actorOf(request)));
    },
  );

  app.patch(
    '/api/orgs/:orgId/members/:userId',
    { ...requirePermission('org:manage_members', org) },
    async (request) => {
      const body = parseOrThrow(v.changeRoleBody, request.body);
      return accounts.changeMemberRole(orgIdOf(request), userIdOf(request), body.role, actorOf(request));
    },
  );

  app.delete(
    '/api/orgs/:orgId/members/:userId',
    { ...requirePermission('org:manage_members', org) },
    async (request, reply) => {
      await accounts.removeMember(orgIdOf(request), userIdOf(request), actorOf(request));
      return reply.code(204).send();
    },
  );

  // An org admin may disable only accounts that belong to their organization alone (see setDisabled).
  app.post(
    '/api/orgs/:orgId/members/:userId/disable',
    { ...requirePermission('user:disable', org) },
    async (request) => {
      const principal = principalOf(request);
      return accounts.setDisabled(
        userIdOf(request),
        true,
        actorOf(request),
        principal.superadmin ? undefined : orgIdOf(request),
      );
    },
  );

  app.post(
    '/api/orgs/:orgId/members/:userId/enable',
    { ...requirePermission('user:disable', org) },
    async (request) => {
      const principal = principalOf(request);
      return accounts.setDisabled(
        userIdOf(request),
        false,
        actorOf(request),
        principal.superadmin ? undefined : orgIdOf(request),
      );
    },
  );

  // Ends every session of a member who belongs to this organization alone (see signOutEverywhere).
  app.post(
    '/api/orgs/:orgId/members/:userId/sign-out',
    { ...requirePermission('user:disable', org) },
    async (request) => {
      const principal = principalOf(request);
      return accounts.signOutEverywhere(
        userIdOf(request),
        actorOf(request),
        principal.superadmin ? undefined : orgIdOf(request),
      );
    },
  );

  app.get('/api/orgs/:orgId/audit', { ...requirePermission('audit:read', org) }, async (request) => {
    const query = auditQueryOf(request);
    const page = await accounts.auditLog({ ...query, orgId: orgIdOf(request) });
    return { items: page.items.map(orgAuditView), nextCursor: page.nextCursor };
  });

  // ---- platform administration (superadmin) -------------------------------------------------------

  app.get('/api/admin/users', { ...requirePermission('platform:admin') }, async (request) => {
    const query = parseOrThrow(v.searchQuery, request.query);
    return accounts.searchUsers(query);
  });

  // Every organization, searched by name (or found by its id), for the admin area's organization picker.
  app.get('/api/admin/orgs', { ...requirePermission('platform:admin') }, async (request) => {
    const query = parseOrThrow(v.searchQuery, request.query);
    return searchOrganizations(deps.db, query);
  });

  app.post('/api/admin/users/:userId/disable', { ...requirePermission('platform:admin') }, async (request) =>
    accounts.setDisabled(userIdOf(request), true, actorOf(request)),
  );

  app.post('/api/admin/users/:userId/enable', { ...requirePermission('platform:admin') }, async (request) =>
    accounts.setDisabled(userIdOf(request), false, actorOf(request)),
  );

  app.post('/api/admin/users/:userId/sign-out', { ...requirePermission('platform:admin') }, async (request) =>
    accounts.signOutEverywhere(userIdOf(request), actorOf(request)),
  );

  app.get('/api/admin/audit', { ...requirePermission('platform:admin') }, async (request) => {
    const query = auditQueryOf(request);
    const page = await accounts.auditLog(query);
    return { items: page.items.map(orgAuditView), nextCursor: page.nextCursor };
  });

  app.get('/api/admin/signing-keys', { ...requirePermission('platform:admin') }, async () => ({
    items: (await deps.keys.list()).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.state,
      createdAt: k.createdAt.toISOString(),
      notAfter: k.notAfter?.toISOString() ?? null,
    })),
  }));

  app.post('/api/admin/signing-keys/rotate', { ...requirePermission('platform:admin') }, async (request) =>
    deps.keys.rotate(actorOf(request)),
  );
}
