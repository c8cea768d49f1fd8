// Invitations: org admins invite, list, send again and withdraw under /api/orgs/:orgId/invitations; the
// holder of a link looks at it and signs up with it under /api/auth/invitations (see invitations.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, assertSameOrigin, parseOrThrow } from '@origo/kit';
import type { Kv } from '@origo/kit/bus';
import { z } from 'zod';
import { publicUser } from '../accounts.js';
import { SESSION_COOKIE, serializeCookie } from '../cookies.js';
import { isWellFormedId, type InvitationId, type OrgId } from '../ids.js';
import type { Invitations, Inviter } from '../invitations.js';
import { principalOf, publicRoute, requirePermission } from '../rbac.js';
import { fixedWindowLimit } from '../throttle.js';
import { clientInfo } from './auth-routes.js';
import * as v from './validation.js';

export interface InvitationRouteDeps {
  invitations: Invitations;
  kv: Kv;
  now: () => Date;
  publicUrl: string;
  cookieSecure: boolean;
  /** Trust X-Forwarded-Host when comparing a request's Origin (the gateway in front). */
  trustForwardedHost: boolean;
}

/** Invitation mails one organization may send per hour: enough for onboarding a team, not for spam. */
export const INVITATION_MAILS_PER_HOUR = 100;

const inviteBody = z.strictObject({ email: v.email, role: v.orgRole });
const acceptBody = z.strictObject({
  token: v.token,
  email: v.email,
  password: v.password,
  displayName: v.displayName,
});

function orgIdOf(request: FastifyRequest): OrgId {
  const id = (request.params as { orgId?: string }).orgId ?? '';
  if (!isWellFormedId(id)) throw AppError.notFound('Organization');
  return id as OrgId;
}

function invitationIdOf(request: FastifyRequest): InvitationId {
  const id = (request.params as { invitationId?: string }).invitationId ?? '';
  if (!isWellFormedId(id)) throw AppError.notFound('Invitation');
  return id as InvitationId;
}

function inviterOf(request: FastifyRequest): Inviter {
  const principal = principalOf(request);
  return { actor: { id: principal.userId, requestId: request.id }, displayName: principal.displayName };
}

function noStore(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store');
}

export function registerInvitationRoutes(app: FastifyInstance, deps: InvitationRouteDeps): void {
  const { invitations } = deps;
  const org = { orgParam: 'orgId' };
  const trustedOrigin = new URL(deps.publicUrl).origin;

  const limitMails = async (reply: FastifyReply, orgId: OrgId) => {
    const retryAfter = await fixedWindowLimit(
      deps.kv,
      `invite:${orgId}`,
      INVITATION_MAILS_PER_HOUR,
      3_600_000,
    );
    if (retryAfter === null) return;
    void reply.header('retry-after', String(retryAfter));
    throw new AppError(
      ErrorCode.RESOURCE_EXHAUSTED,
      'This organization sent too many invitations in the last hour; try again later',
      { reason: 'throttled' },
    );
  };

  app.post(
    '/api/orgs/:orgId/invitations',
    { ...requirePermission('org:manage_members', org) },
    async (request, reply) => {
      const orgId = orgIdOf(request);
      const body = parseOrThrow(inviteBody, request.body);
      await limitMails(reply, orgId);
      const result = await invitations.invite(orgId, body, inviterOf(request));
      return reply.code(result.outcome === 'invited' && result.resent ? 200 : 201).send(result);
    },
  );

  app.get(
    '/api/orgs/:orgId/invitations',
    { ...requirePermission('org:manage_members', org) },
    async (request) => {
      const query = parseOrThrow(v.pageQuery, request.query, 'Invalid query parameters');
      return invitations.list(orgIdOf(request), query);
    },
  );

  app.post(
    '/api/orgs/:orgId/invitations/:invitationId/resend',
    { ...requirePermission('org:manage_members', org) },
    async (request, reply) => {
      const orgId = orgIdOf(request);
      const id = invitationIdOf(request);
      await limitMails(reply, orgId);
      return invitations.resend(orgId, id, inviterOf(request));
    },
  );

  app.delete(
    '/api/orgs/:orgId/invitations/:invitationId',
    { ...requirePermission('org:manage_members', org) },
    async (request, reply) => {
      await invitations.revoke(orgIdOf(request), invitationIdOf(request), inviterOf(request).actor);
      return reply.code(204).send();
    },
  );

  // The link's holder: what the invitation is (or why it cannot be used), then sign-up with it. The
  // token travels in the body, never in a URL that logs would keep.
  app.post('/api/auth/invitations/preview', { ...publicRoute() }, async (request, reply) => {
    const body = parseOrThrow(v.tokenBody, request.body);
    noStore(reply);
    return invitations.preview(body.token);
  });

  app.post('/api/auth/invitations/accept', { ...publicRoute() }, async (request, reply) => {
    // Login CSRF: a foreign page must not sign a browser up to an account of its choosing.
    assertSameOrigin(request, { trustedOrigin, trustForwardedHost: deps.trustForwardedHost });
    const body = v.parseNewAccountBody(acceptBody, request.body);
    const limited = await fixedWindowLimit(deps.kv, `signup:${request.ip}`, 20, 3_600_000);
    if (limited !== null) {
      void reply.header('retry-after', String(limited));
      throw new AppError(
        ErrorCode.RESOURCE_EXHAUSTED,
        'Too many sign-ups from this address; try again later',
        {
          reason: 'throttled',
        },
      );
    }
    const result = await invitations.signUp(body, clientInfo(request));
    const maxAge = (result.expiresAt.getTime() - deps.now().getTime()) / 1000;
    void reply.header(
      'set-cookie',
      serializeCookie(SESSION_COOKIE, result.token, { secure: deps.cookieSecure, maxAgeSeconds: maxAge }),
    );
    noStore(reply);
    return reply
      .code(201)
      .send({ user: publicUser(result.user), organization: result.organization, role: result.role });
  });
}
