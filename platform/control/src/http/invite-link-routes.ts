// Invite links (create, list, revoke) and the pre-join preview a guest's browser reads before joining.
import type { FastifyRequest } from 'fastify';
import { hasPermission, publicRoute, requirePermission } from '../access.js';
import type { InviteLinkRow, MeetingRow } from '../db/schema.js';
import type { InviteLinkId } from '../ids.js';
import type { RouteTable } from './route.js';
import {
  actorOf,
  assertManages,
  invitationProblem,
  joinUrl,
  meetingOf,
  principalOf,
  type RouteDeps,
} from './routes.js';
import * as s from './schemas.js';

export interface InviteRouteHelpers {
  loadMeeting: (request: FastifyRequest) => Promise<void>;
}

function linkView(l: InviteLinkRow, now = Date.now()) {
  return {
    id: l.id,
    meeting_id: l.meetingId,
    status:
      l.status === 'revoked'
        ? ('revoked' as const)
        : l.expiresAt.getTime() <= now
          ? ('expired' as const)
          : ('active' as const),
    expires_at: l.expiresAt.toISOString(),
    created_at: l.createdAt.toISOString(),
    created_by: l.createdBy,
  };
}

export function registerInviteLinkRoutes(
  table: RouteTable,
  deps: Pick<RouteDeps, 'store' | 'links' | 'settings'>,
  helpers: InviteRouteHelpers,
): void {
  const { store, links, settings } = deps;
  const meetingOrg = (request: FastifyRequest) => request.meeting?.orgId;
  const manage = () => requirePermission('meeting:update', { orgFrom: meetingOrg });
  const permission = 'meeting:update (own meeting unless org admin)';

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/invite-links',
    operationId: 'createInviteLink',
    summary: 'Create a shareable invite link: anyone with it may join as a guest until it expires',
    description:
      'The token is returned once and stored hashed; it travels in the URL fragment, which browsers never send to a server. No Idempotency-Key: a retry makes a second link, which is harmless, and a stored replay would keep the token in the database.',
    tag: 'invitations',
    permission,
    guard: manage(),
    params: s.meetingIdParams,
    body: s.createInviteLinkBody,
    preload: helpers.loadMeeting,
    responses: {
      201: { description: 'The link with its token (shown once)', schema: s.issuedInviteLinkSchema },
    },
    async handler({ request, body }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const { row, token } = await links.create(meeting, body.expires_in_minutes, actorOf(request));
      return {
        status: 201,
        body: {
          ...linkView(row),
          invite_token: token,
          invite_url: `${joinUrl(settings, meeting)}#invite=${token}`,
        },
      };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/invite-links',
    operationId: 'listInviteLinks',
    summary: "List a meeting's invite links (without their tokens)",
    tag: 'invitations',
    permission,
    guard: manage(),
    params: s.meetingIdParams,
    preload: helpers.loadMeeting,
    responses: { 200: { description: 'Links, oldest first', schema: s.inviteLinkSchema.array() } },
    async handler({ request }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const now = Date.now();
      return { status: 200, body: (await links.list(meeting.id)).map((l) => linkView(l, now)) };
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/meetings/:id/invite-links/:link_id',
    operationId: 'revokeInviteLink',
    summary: 'Revoke an invite link (it stops letting anyone in)',
    tag: 'invitations',
    permission,
    guard: manage(),
    params: s.inviteLinkParams,
    preload: helpers.loadMeeting,
    responses: { 200: { description: 'The revoked link', schema: s.inviteLinkSchema } },
    async handler({ request, params }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const row = await links.revoke(meeting, params.link_id as InviteLinkId, actorOf(request));
      return { status: 200, body: linkView(row) };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/preview',
    operationId: 'previewMeeting',
    summary: 'What the join page shows before joining: the title (to members and invitees) and how to get in',
    description:
      'POST so an invite token travels in the body, never in a URL. The title is withheld from callers with neither membership nor a valid invitation.',
    tag: 'join',
    permission: 'none; the title needs membership or a valid invitation',
    guard: publicRoute(),
    params: s.meetingIdParams,
    body: s.previewBody,
    preload: helpers.loadMeeting,
    responses: { 200: { description: 'The preview', schema: s.previewSchema } },
    async handler({ request, body }) {
      const meeting: MeetingRow = meetingOf(request);
      const principal = request.principal;
      const member = principal !== null && hasPermission(principal, 'meeting:join', meeting.orgId);
      const byToken =
        body.invite_token === undefined
          ? null
          : ((await store.findInvitation(meeting.id, { token: body.invite_token })) ??
            (await links.findActive(meeting.id, body.invite_token)));
      const byEmail =
        principal?.emailVerified === true
          ? await store.findInvitation(meeting.id, { email: principal.email })
          : null;
      const invited = byToken !== null || byEmail !== null;
      const invitation =
        byToken !== null
          ? 'valid'
          : body.invite_token !== undefined
            ? await invitationProblem(deps, meeting.id, body.invite_token)
            : invited
              ? 'valid'
              : 'none';
      const access = member
        ? 'member'
        : invited
          ? 'invited'
          : meeting.passcodeHash !== null
            ? 'passcode'
            : 'sign_in';
      return {
        status: 200,
        body: {
          id: meeting.id,
          title: member || invited ? meeting.title : null,
          state: meeting.state,
          has_passcode: meeting.passcodeHash !== null,
          lobby_enabled: meeting.lobbyEnabled,
          invitation,
          access,
        },
      };
    },
  });
}
