// REST routes of the control service. Each declares its access through `@origo/auth`
// (`requirePermission` / `publicRoute`); org-scoped checks read the organization of the meeting the
// route preloads, so the permission is decided against the meeting's organization, never the caller's
// claim.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { desc, and, eq, lt } from 'drizzle-orm';
import { AppError, ErrorCode } from '@origo/kit';
import { auditFilterWhere, auditRangeProblem } from '@origo/kit/db';
import { hasPermission, publicRoute, requirePermission, roleIn, type Principal } from '../access.js';
import type { Actor, Db } from '../audit.js';
import type { ControlSettings } from '../config.js';
import { ROOM_COMMANDS_CHANNEL, roomCommandSchema, type JoinGrants, type RoomCommand } from '../contracts.js';
import {
  auditEvents,
  type InvitationRow,
  type LobbyEntryRow,
  type MeetingRow,
  type ParticipantRemovalRow,
} from '../db/schema.js';
import { idempotencyKeyOf, runIdempotent } from '../idempotency.js';
import { type InvitationId, type LobbyEntryId, type MeetingId, type OrgId } from '../ids.js';
import type { MemberDirectory } from '../directory.js';
import type { InviteLinkStore } from '../invite-links.js';
import type { BillingQuota } from '../billing.js';
import type { JoinTokenSigner } from '../join-token.js';
import type { LiveRoomInspector } from '../live-rooms.js';
import type { LobbyEvents } from '../lobby-events.js';
import { assertOpen, type MeetingStore } from '../meetings.js';
import { guestIdentity, removedError, type RemovalStore } from '../removals.js';
import type { PresenceStore } from '../presence.js';
import { nextOccurrences, parseRule } from '../recurrence.js';
import { verifyPasscode } from '../secrets.js';
import { firstLanguage, instantTitle } from '../instant-title.js';
import type { Bus, Kv } from '@origo/kit/bus';
import { registerInviteLinkRoutes } from './invite-link-routes.js';
import { registerLiveRoomRoutes } from './live-room-routes.js';
import { registerLobbyWaitRoutes } from './lobby-wait-routes.js';
import { registerPresenceRoutes } from './presence-routes.js';
import type { RouteTable } from './route.js';
import * as s from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    meeting: MeetingRow | null;
  }
}

export interface RouteDeps {
  db: Db;
  store: MeetingStore;
  links: InviteLinkStore;
  removals: RemovalStore;
  lobbyEvents: LobbyEvents;
  bus: Bus;
  kv: Kv;
  signer: JoinTokenSigner;
  settings: ControlSettings;
  /** The organization's plan limits; without it only the meeting's own cap applies. */
  billing?: BillingQuota | undefined;
  presence: PresenceStore;
  directory: MemberDirectory | undefined;
  /** Participants, SFU worker and byte counters of live rooms, for the admin dashboard. */
  rooms: LiveRoomInspector;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  return {
    id: p?.userId ?? 'anonymous',
    requestId: request.id,
    ...(p ? { email: p.email, name: p.displayName } : {}),
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw AppError.unauthenticated();
  return request.principal;
}

export function meetingOf(request: FastifyRequest): MeetingRow {
  if (request.meeting === null) throw AppError.notFound('Meeting');
  return request.meeting;
}

/** Organization admins (and the superadmin) manage every meeting of the org; others only their own. */
export function assertManages(principal: Principal, meeting: MeetingRow): void {
  if (
    principal.superadmin ||
    roleIn(principal, meeting.orgId) === 'admin' ||
    meeting.hostId === principal.userId
  )
    return;
  throw AppError.forbidden('Only the meeting host or an organization admin may do this');
}

/** An org is named explicitly, or implied when the caller belongs to exactly one. */
export function orgFromInput(request: FastifyRequest, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) return explicit;
  const principal = request.principal;
  const memberships = principal?.memberships ?? [];
  if (memberships.length === 1) return memberships[0]?.orgId;
  // Someone in several organizations is asked which one, not refused as if they lacked the permission
  // (the guard runs this before the handler). The superadmin's handlers decide for themselves.
  if (memberships.length > 1 && principal?.superadmin !== true) throw orgIdRequired();
  return undefined;
}

export function requireOrg(request: FastifyRequest, explicit: string | undefined): OrgId {
  const orgId = orgFromInput(request, explicit);
  if (orgId === undefined) throw orgIdRequired();
  return orgId as OrgId;
}

function orgIdRequired(): AppError {
  return AppError.invalid('org_id is required', [
    { field: 'org_id', message: 'is required when you belong to several organizations' },
  ]);
}

export function joinUrl(settings: ControlSettings, meeting: MeetingRow): string {
  return `${settings.publicUrl}/join/${meeting.id}`;
}

export function meetingView(settings: ControlSettings, m: MeetingRow) {
  return {
    id: m.id,
    org_id: m.orgId,
    title: m.title,
    description: m.description,
    kind: m.kind,
    state: m.state,
    host_id: m.hostId,
    starts_at: iso(m.startsAt),
    duration_minutes: m.durationMinutes,
    time_zone: m.timeZone,
    recurrence: m.rrule === null ? null : { rrule: m.rrule },
    has_passcode: m.passcodeHash !== null,
    lobby_enabled: m.lobbyEnabled,
    join_before_host: m.joinBeforeHost,
    participant_cap: m.participantCap,
    locked: m.locked,
    participant_count: m.participantCount,
    started_at: iso(m.startedAt),
    ended_at: iso(m.endedAt),
    cancelled_at: iso(m.cancelledAt),
    join_url: joinUrl(settings, m),
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
    created_by: m.createdBy,
    updated_by: m.updatedBy,
  };
}

function invitationView(i: InvitationRow) {
  return {
    id: i.id,
    meeting_id: i.meetingId,
    email: i.email,
    status: i.status,
    sent_at: iso(i.sentAt),
    created_at: i.createdAt.toISOString(),
    created_by: i.createdBy,
  };
}

function removalView(r: ParticipantRemovalRow) {
  return {
    identity: r.identity,
    display_name: r.displayName,
    removed_at: r.createdAt.toISOString(),
    removed_by: r.createdBy,
  };
}

/**
 * Why an invite token that lets nobody in fails: `expired` when it belongs to one of this meeting's links
 * that expired or was revoked (or to an e-mail invitation a host revoked), else `invalid` (mangled, cut
 * short, made up, or another meeting's). Only a token that once opened this meeting is told it is stale,
 * so this says nothing about the meeting that the join page does not already show to anyone.
 */
export async function invitationProblem(
  deps: Pick<RouteDeps, 'store' | 'links'>,
  meetingId: MeetingRow['id'],
  token: string,
): Promise<'expired' | 'invalid'> {
  const stale =
    (await deps.links.isStale(meetingId, token)) || (await deps.store.isRevokedInvitation(meetingId, token));
  return stale ? 'expired' : 'invalid';
}

export function lobbyView(e: LobbyEntryRow) {
  return {
    id: e.id,
    identity: e.identity,
    display_name: e.displayName,
    status: e.status,
    created_at: e.createdAt.toISOString(),
  };
}

/** `ws(s)://<host>/ws` as the caller reached us (through the gateway), unless configured. */
function signalingUrl(settings: ControlSettings, request: FastifyRequest): string {
  if (settings.signalingUrl !== undefined) return settings.signalingUrl;
  const header = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  };
  const proto = header('x-forwarded-proto') ?? 'http';
  const host = header('x-forwarded-host') ?? header('host') ?? new URL(settings.publicUrl).host;
  return `${proto === 'https' ? 'wss' : 'ws'}://${host}/ws`;
}

function clientAddress(request: FastifyRequest): string {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first && first.length > 0 ? first : request.ip;
}

export function registerRoutes(table: RouteTable, deps: RouteDeps): void {
  const { store, links, removals, lobbyEvents, settings, signer, bus, kv } = deps;
  const view = (m: MeetingRow) => meetingView(settings, m);

  const loadMeeting = async (request: FastifyRequest): Promise<void> => {
    const { id } =
      (request as FastifyRequest & { parsed?: { params?: { id?: string } } }).parsed?.params ?? {};
    request.meeting = id === undefined ? null : await store.get(id as MeetingId);
    if (request.meeting === null) throw AppError.notFound('Meeting');
  };
  const meetingOrg = (request: FastifyRequest) => request.meeting?.orgId;

  async function publish(
    request: FastifyRequest,
    meeting: MeetingRow,
    command: Record<string, unknown> & { type: RoomCommand['type'] },
  ): Promise<string> {
    // Parsed against the published contract, so control can never send what signaling would refuse.
    const full = roomCommandSchema.parse({
      v: 1,
      command_id: randomUUID(),
      room: meeting.id,
      issued_by: principalOf(request).userId,
      issued_at_ms: Date.now(),
      request_id: request.id,
      ...command,
    });
    await bus.publish(ROOM_COMMANDS_CHANNEL, full);
    return full.command_id;
  }

  // Meetings ------------------------------------------------------------------------------------

  table.add({
    method: 'POST',
    url: '/api/meetings',
    operationId: 'createMeeting',
    summary: 'Create a meeting (instant or scheduled, optionally recurring)',
    tag: 'meetings',
    permission: 'meeting:create',
    guard: requirePermission('meeting:create', {
      orgFrom: (request) =>
        orgFromInput(
          request,
          (request as FastifyRequest & { parsed?: { body?: { org_id?: string } } }).parsed?.body?.org_id,
        ),
    }),
    body: s.createMeetingBody,
    idempotencyKey: true,
    responses: { 201: { description: 'Created', schema: s.meetingSchema } },
    async handler({ request, reply, body }) {
      const principal = principalOf(request);
      const orgId = requireOrg(request, body.org_id);
      const kind = body.kind ?? (body.starts_at !== undefined ? 'scheduled' : 'instant');
      if (kind === 'scheduled' && body.starts_at === undefined) {
        throw AppError.invalid('Invalid request body', [
          { field: 'starts_at', message: 'is required for a scheduled meeting' },
        ]);
      }
      if (kind === 'scheduled' && body.title === undefined) {
        throw AppError.invalid('Invalid request body', [
          { field: 'title', message: 'is required for a scheduled meeting' },
        ]);
      }
      if (kind === 'instant' && (body.starts_at !== undefined || (body.recurrence ?? null) !== null)) {
        throw AppError.invalid('Invalid request body', [
          {
            field: body.starts_at !== undefined ? 'starts_at' : 'recurrence',
            message: 'an instant meeting has no schedule',
          },
        ]);
      }
      const rrule = body.recurrence ? parseRule(body.recurrence.rrule).text : null;
      return runIdempotent(
        deps.db,
        request,
        reply,
        { scope: principal.userId, operation: 'POST /api/meetings', key: idempotencyKeyOf(request), body },
        async (tx) => {
          const now = new Date();
          const title =
            body.title ??
            (await store.distinctInstantTitle(
              tx,
              orgId,
              instantTitle(
                now,
                body.locale ?? firstLanguage(request.headers['accept-language']),
                body.time_zone ?? 'UTC',
              ),
              now,
            ));
          const meeting = await store.create(
            tx,
            {
              orgId,
              hostId: principal.userId,
              title,
              description: body.description,
              kind,
              startsAt: body.starts_at === undefined ? null : new Date(body.starts_at),
              durationMinutes: body.duration_minutes ?? 60,
              timeZone: body.time_zone ?? 'UTC',
              rrule,
              passcode: body.passcode ?? null,
              lobbyEnabled: body.lobby_enabled ?? false,
              joinBeforeHost: body.join_before_host ?? true,
              participantCap: body.participant_cap ?? 100,
            },
            actorOf(request),
          );
          return { status: 201, body: view(meeting), headers: { location: `/api/meetings/${meeting.id}` } };
        },
      ).finally(() => store.notifyCommitted());
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings',
    operationId: 'listMeetings',
    summary: "List an organization's meetings, newest first (cursor pagination)",
    tag: 'meetings',
    permission: 'meeting:read',
    guard: requirePermission('meeting:read', {
      orgFrom: (request) =>
        orgFromInput(
          request,
          (request as FastifyRequest & { parsed?: { query?: { org_id?: string } } }).parsed?.query?.org_id,
        ),
    }),
    query: s.listMeetingsQuery,
    responses: { 200: { description: 'One page', schema: s.meetingPage } },
    async handler({ request, query }) {
      const orgId = requireOrg(request, query.org_id);
      const page = await store.list(orgId, {
        limit: query.limit,
        cursor: query.cursor,
        state: query.state,
        upcoming: query.upcoming === true ? new Date() : undefined,
      });
      return { status: 200, body: { items: page.items.map(view), next_cursor: page.nextCursor } };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings/:id',
    operationId: 'getMeeting',
    summary: 'Read a meeting',
    tag: 'meetings',
    permission: 'meeting:read',
    guard: requirePermission('meeting:read', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    preload: loadMeeting,
    responses: { 200: { description: 'The meeting', schema: s.meetingSchema } },
    async handler({ request }) {
      return { status: 200, body: view(meetingOf(request)) };
    },
  });

  table.add({
    method: 'PATCH',
    url: '/api/meetings/:id',
    operationId: 'updateMeeting',
    summary: 'Change a meeting (host of the meeting or org admin)',
    tag: 'meetings',
    permission: 'meeting:update (own meeting unless org admin)',
    guard: requirePermission('meeting:update', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    body: s.updateMeetingBody,
    preload: loadMeeting,
    responses: { 200: { description: 'The changed meeting', schema: s.meetingSchema } },
    async handler({ request, body }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const updatedRow = await store.update(
        meeting.id,
        {
          title: body.title,
          description: body.description,
          startsAt: body.starts_at === undefined ? undefined : new Date(body.starts_at),
          durationMinutes: body.duration_minutes,
          timeZone: body.time_zone,
          rrule:
            body.recurrence === undefined
              ? undefined
              : body.recurrence === null
                ? null
                : body.recurrence.rrule,
          passcode: body.passcode,
          lobbyEnabled: body.lobby_enabled,
          joinBeforeHost: body.join_before_host,
          participantCap: body.participant_cap,
        },
        actorOf(request),
      );
      return { status: 200, body: view(updatedRow) };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/cancel',
    operationId: 'cancelMeeting',
    summary: 'Cancel a meeting; a live room is ended for everyone',
    tag: 'meetings',
    permission: 'meeting:delete (own meeting unless org admin)',
    guard: requirePermission('meeting:delete', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    preload: loadMeeting,
    responses: { 200: { description: 'The cancelled meeting', schema: s.meetingSchema } },
    async handler({ request }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const { meeting: after } = await store.cancel(meeting.id, actorOf(request));
      // Also when it never went live: a join token fetched before the cancellation must not start it.
      await publish(request, after, { type: 'end_room', reason: 'meeting_cancelled' });
      await lobbyEvents.changed(meeting.id);
      return { status: 200, body: view(after) };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/occurrences',
    operationId: 'listOccurrences',
    summary: 'Next occurrences of a meeting in its time zone',
    tag: 'meetings',
    permission: 'meeting:read',
    guard: requirePermission('meeting:read', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    query: s.occurrencesQuery,
    preload: loadMeeting,
    responses: { 200: { description: 'Occurrences, oldest first', schema: s.occurrencesSchema } },
    async handler({ request, query }) {
      const m = meetingOf(request);
      const items =
        m.startsAt === null || m.state === 'cancelled'
          ? []
          : nextOccurrences(
              {
                startsAt: m.startsAt,
                durationMinutes: m.durationMinutes,
                timeZone: m.timeZone,
                rrule: m.rrule,
              },
              query.after === undefined ? new Date() : new Date(query.after),
              query.count,
            );
      return {
        status: 200,
        body: {
          time_zone: m.timeZone,
          items: items.map((o) => ({ starts_at: o.startsAt.toISOString(), ends_at: o.endsAt.toISOString() })),
        },
      };
    },
  });

  // Invitations ----------------------------------------------------------------------------------

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/invitations',
    operationId: 'inviteToMeeting',
    summary: 'Invite e-mail addresses as guests (recorded; each gets an invite link token)',
    tag: 'invitations',
    permission: 'meeting:update (own meeting unless org admin)',
    guard: requirePermission('meeting:update', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    body: s.inviteBody,
    idempotencyKey: true,
    preload: loadMeeting,
    responses: {
      201: {
        description: 'Invitations with their link tokens (shown once)',
        schema: s.issuedInvitationSchema.array(),
      },
    },
    async handler({ request, reply, params, body }) {
      const meeting = meetingOf(request);
      const principal = principalOf(request);
      assertManages(principal, meeting);
      return runIdempotent(
        deps.db,
        request,
        reply,
        {
          scope: principal.userId,
          operation: `POST /api/meetings/${params.id}/invitations`,
          key: idempotencyKeyOf(request),
          body,
        },
        async (tx) => {
          const issued = await store.invite(tx, meeting, body.emails, actorOf(request));
          return {
            status: 201,
            body: issued.map(({ row, token }) => ({
              ...invitationView(row),
              invite_token: token,
              invite_url: `${joinUrl(settings, meeting)}#invite=${token}`,
            })),
          };
        },
      ).finally(() => store.notifyCommitted());
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/invitations',
    operationId: 'listInvitations',
    summary: "List a meeting's invitations",
    tag: 'invitations',
    permission: 'meeting:update (own meeting unless org admin)',
    guard: requirePermission('meeting:update', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    preload: loadMeeting,
    responses: { 200: { description: 'Invitations', schema: s.invitationSchema.array() } },
    async handler({ request }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      return { status: 200, body: (await store.listInvitations(meeting.id)).map(invitationView) };
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/meetings/:id/invitations/:invitation_id',
    operationId: 'revokeInvitation',
    summary: 'Revoke an invitation (its link token stops working)',
    tag: 'invitations',
    permission: 'meeting:update (own meeting unless org admin)',
    guard: requirePermission('meeting:update', { orgFrom: meetingOrg }),
    params: s.invitationParams,
    preload: loadMeeting,
    responses: { 200: { description: 'The revoked invitation', schema: s.invitationSchema } },
    async handler({ request, params }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const row = await store.revokeInvitation(
        meeting,
        params.invitation_id as InvitationId,
        actorOf(request),
      );
      return { status: 200, body: invitationView(row) };
    },
  });

  // Joining ---------------------------------------------------------------------------------------

  async function issue(
    request: FastifyRequest,
    meeting: MeetingRow,
    who: { identity: string; name: string; grants: JoinGrants },
  ) {
    // Hosts also learn whether the plan lets them record, so the meeting offers Record only when it does.
    const [cap, recording] = await Promise.all([
      participantCapWithinPlan(meeting),
      who.grants.host
        ? deps.billing?.checkRecording?.({ orgId: meeting.orgId, meetingId: meeting.id })
        : undefined,
    ]);
    const { token, expiresAt } = await signer.sign({
      identity: who.identity,
      name: who.name,
      room: meeting.id,
      grants: who.grants,
      maxParticipants: cap,
    });
    return {
      status: 'ready' as const,
      token,
      expires_at: expiresAt.toISOString(),
      signaling_url: signalingUrl(settings, request),
      room: meeting.id,
      identity: who.identity,
      name: who.name,
      grants: who.grants,
      meeting: { id: meeting.id, title: meeting.title },
      recording:
        recording === undefined || recording === null
          ? null
          : { allowed: recording.allowed, reason: recording.message },
    };
  }

  /**
   * Asks billing whether the organization's plan lets one more participant in, and returns the cap the
   * join token carries (the lower of the meeting's and the plan's), so signaling holds the line too.
   * Billing unreachable: the meeting's own cap (fail open; see billing.ts).
   */
  async function participantCapWithinPlan(meeting: MeetingRow): Promise<number> {
    const quota = await deps.billing?.checkJoin({
      orgId: meeting.orgId,
      meetingId: meeting.id,
      participantCount: meeting.participantCount,
    });
    if (quota === undefined || quota === null) return meeting.participantCap;
    if (!quota.allowed) {
      throw new AppError(ErrorCode.RESOURCE_EXHAUSTED, quota.message, {
        reason: `plan_${quota.limit}`,
        // Not a rate limit: retrying does not help until the plan changes or someone leaves.
        httpStatus: 403,
      });
    }
    return Math.min(meeting.participantCap, quota.maxParticipants);
  }

  async function assertRoomOpen(meeting: MeetingRow): Promise<void> {
    assertOpen(meeting);
    if (meeting.participantCount >= meeting.participantCap) {
      // When the plan's limit is reached as well (a free meeting's own cap is the plan's 100), the plan's
      // refusal is the one to show: it says how to raise the limit, the meeting's own cap does not.
      await participantCapWithinPlan(meeting);
      throw AppError.precondition('The meeting is full', 'meeting_full');
    }
  }

  async function checkPasscode(
    request: FastifyRequest,
    meeting: MeetingRow,
    passcode: string,
  ): Promise<boolean> {
    if (meeting.passcodeHash === null) return false;
    const key = `control:passcode-failures:${meeting.id}:${clientAddress(request)}`;
    const failures = Number((await kv.get(key)) ?? '0');
    if (failures >= settings.passcodeMaxFailures) {
      throw new AppError(ErrorCode.RESOURCE_EXHAUSTED, 'Too many wrong passcodes; try again later', {
        reason: 'too_many_attempts',
      });
    }
    if (await verifyPasscode(passcode, meeting.passcodeHash)) return true;
    await kv.incr(key, { ttlMs: 15 * 60_000 });
    throw new AppError(ErrorCode.PERMISSION_DENIED, 'Wrong passcode', { reason: 'wrong_passcode' });
  }

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/join',
    operationId: 'joinMeeting',
    summary: 'Get a join token and the signaling URL, or a lobby ticket',
    description:
      'Members of the organization join directly (hosts and org admins with host grants). Anyone else needs an invitation (link token, or a signed-in user with the invited verified e-mail) or the passcode; when the lobby is on they wait (202) until a host admits them.',
    tag: 'join',
    permission: 'meeting:join for org members; invitation or passcode for guests',
    guard: publicRoute(),
    params: s.meetingIdParams,
    body: s.joinBody,
    preload: loadMeeting,
    responses: {
      200: { description: 'Join token issued', schema: s.joinReadySchema },
      202: { description: 'Waiting in the lobby', schema: s.joinWaitingSchema },
    },
    async handler({ request, body }) {
      const meeting = meetingOf(request);
      const principal = request.principal;
      const member = principal !== null && hasPermission(principal, 'meeting:join', meeting.orgId);
      const isHost =
        principal !== null &&
        (principal.superadmin ||
          meeting.hostId === principal.userId ||
          roleIn(principal, meeting.orgId) === 'admin');

      // An e-mail invitation names one person; a link does not, so it proves nothing about who joins.
      let personalInvitation: InvitationRow | null = null;
      if (!member) {
        // Guests: an invitation (link token, or the verified invited address) or the passcode.
        personalInvitation = await store.findInvitation(meeting.id, {
          token: body.invite_token,
          email: principal?.emailVerified ? principal.email : undefined,
        });
        const invitation =
          personalInvitation ??
          (body.invite_token === undefined ? null : await links.findActive(meeting.id, body.invite_token));
        if (invitation === null) {
          if (body.passcode !== undefined && meeting.passcodeHash !== null) {
            await checkPasscode(request, meeting, body.passcode);
          } else if (body.invite_token !== undefined) {
            throw (await invitationProblem(deps, meeting.id, body.invite_token)) === 'expired'
              ? new AppError(ErrorCode.PERMISSION_DENIED, 'The invitation expired or was revoked', {
                  reason: 'invitation_expired',
                })
              : new AppError(ErrorCode.PERMISSION_DENIED, 'The invitation is not valid for this meeting', {
                  reason: 'invalid_invitation',
                });
          } else if (meeting.passcodeHash !== null) {
            throw new AppError(
              ErrorCode.PERMISSION_DENIED,
              'This meeting needs a passcode or an invitation',
              { reason: 'passcode_required' },
            );
          } else if (principal === null) {
            throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in or use an invitation to join', {
              reason: 'credentials_required',
            });
          } else {
            throw new AppError(ErrorCode.PERMISSION_DENIED, 'You are not invited to this meeting', {
              reason: 'not_invited',
            });
          }
        }
      }

      const name = body.name ?? principal?.displayName;
      if (name === undefined || name.trim() === '') {
        throw AppError.invalid('Invalid request body', [
          { field: 'name', message: 'is required when joining without an account' },
        ]);
      }
      const identity =
        principal?.userId ??
        guestIdentity(meeting.id, { invitationId: personalInvitation?.id, deviceKey: body.device_key });

      await assertRoomOpen(meeting);
      // Hosts are never kept out: they could allow themselves back anyway.
      if (!isHost && (await removals.isRemoved(meeting.id, identity))) throw removedError();
      if (meeting.locked && !isHost) throw AppError.precondition('The meeting is locked', 'meeting_locked');

      if (!member && meeting.lobbyEnabled) {
        const { entry, ticket } = await store.enterLobby(
          meeting,
          { identity, displayName: name },
          settings.lobbyTicketTtlSeconds * 1000,
          { id: identity, requestId: request.id },
        );
        await lobbyEvents.changed(meeting.id);
        return {
          status: 202,
          body: {
            status: 'waiting',
            lobby_ticket: ticket,
            lobby_entry_id: entry.id,
            poll_interval_ms: 2000,
            meeting: { id: meeting.id, title: meeting.title },
          },
        };
      }
      if (!isHost && !meeting.joinBeforeHost && meeting.state !== 'live') {
        throw AppError.precondition('The host has not started the meeting yet', 'waiting_for_host');
      }
      const grants: JoinGrants = { publish: true, subscribe: true, host: isHost };
      return { status: 200, body: await issue(request, meeting, { identity, name, grants }) };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/lobby/:ticket',
    operationId: 'pollLobby',
    summary: 'Poll a lobby ticket: waiting, or the join token once admitted (403 when denied)',
    tag: 'join',
    permission: 'the lobby ticket',
    guard: publicRoute(),
    params: s.lobbyTicketParams,
    preload: loadMeeting,
    responses: {
      200: {
        description: 'Waiting, or admitted with a join token',
        schema: s.joinReadySchema.or(
          s.joinWaitingSchema.pick({ status: true, poll_interval_ms: true, meeting: true }),
        ),
      },
    },
    async handler({ request, params }) {
      const meeting = meetingOf(request);
      const entry = await store.lobbyByTicket(meeting.id, params.ticket);
      if (entry === null) throw AppError.notFound('Lobby ticket');
      return { status: 200, body: await lobbyAnswer(request, meeting, entry) };
    },
  });

  /** What a lobby ticket holder is told: still waiting, the join token once admitted, 403 when denied. */
  async function lobbyAnswer(request: FastifyRequest, meeting: MeetingRow, entry: LobbyEntryRow) {
    if (entry.status === 'denied')
      throw new AppError(ErrorCode.PERMISSION_DENIED, 'A host declined the request to join', {
        reason: 'lobby_denied',
      });
    // Removed after knocking or after being admitted: the ticket must not bring them back.
    if (await removals.isRemoved(meeting.id, entry.identity)) throw removedError();
    if (entry.status === 'waiting') {
      assertOpen(meeting);
      return {
        status: 'waiting' as const,
        poll_interval_ms: 2000,
        meeting: { id: meeting.id, title: meeting.title },
      };
    }
    // Admitted by a host: the lock no longer applies to this participant, the cap still does.
    await assertRoomOpen(meeting);
    const grants: JoinGrants = { publish: true, subscribe: true, host: false };
    return issue(request, meeting, { identity: entry.identity, name: entry.displayName, grants });
  }

  // Host controls ---------------------------------------------------------------------------------

  const hostGuard = () => requirePermission('meeting:host', { orgFrom: meetingOrg });
  const hostPermission = 'meeting:host (own meeting unless org admin)';

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/lobby',
    operationId: 'listLobby',
    summary: 'Participants waiting in the lobby',
    tag: 'host controls',
    permission: hostPermission,
    guard: hostGuard(),
    params: s.meetingIdParams,
    preload: loadMeeting,
    responses: { 200: { description: 'Waiting entries, oldest first', schema: s.lobbyEntrySchema.array() } },
    async handler({ request }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      return { status: 200, body: (await store.waitingLobby(meeting.id)).map(lobbyView) };
    },
  });

  for (const decision of ['admit', 'deny'] as const) {
    table.add({
      method: 'POST',
      url: `/api/meetings/:id/lobby/:entry_id/${decision}`,
      operationId: decision === 'admit' ? 'admitFromLobby' : 'denyFromLobby',
      summary:
        decision === 'admit' ? 'Admit a participant from the lobby' : 'Turn a participant in the lobby away',
      tag: 'host controls',
      permission: hostPermission,
      guard: hostGuard(),
      params: s.lobbyEntryParams,
      preload: loadMeeting,
      responses: { 200: { description: 'The decided entry', schema: s.lobbyEntrySchema } },
      async handler({ request, params }) {
        const meeting = meetingOf(request);
        assertManages(principalOf(request), meeting);
        assertOpen(meeting);
        const entry = await store.decideLobby(
          meeting,
          params.entry_id as LobbyEntryId,
          decision === 'admit' ? 'admitted' : 'denied',
          actorOf(request),
        );
        await lobbyEvents.changed(meeting.id);
        return { status: 200, body: lobbyView(entry) };
      },
    });
  }

  const COMMANDS = {
    mute: {
      operationId: 'muteParticipant',
      summary: "Mute a participant's audio (or one track)",
      type: 'mute_participant',
    },
    remove: {
      operationId: 'removeParticipant',
      summary:
        'Remove a participant from the room; they get no join token (403 removed_by_host) until a host allows them back',
      type: 'remove_participant',
    },
    allow: {
      operationId: 'allowParticipant',
      summary: 'Let a participant a host removed join the meeting again',
      type: 'allow_participant',
    },
  } as const;
  const participantCommand = (kind: keyof typeof COMMANDS) =>
    table.add({
      method: 'POST',
      url: `/api/meetings/:id/participants/:identity/${kind}`,
      operationId: COMMANDS[kind].operationId,
      summary: COMMANDS[kind].summary,
      description:
        'Recorded with the meeting (removals are kept until a host allows the person back), then sent to signaling on the room-commands channel; 202 means the command was published.',
      tag: 'host controls',
      permission: hostPermission,
      guard: hostGuard(),
      params: s.participantParams,
      body: kind === 'mute' ? s.muteBody : kind === 'remove' ? s.removeBody : undefined,
      preload: loadMeeting,
      responses: { 202: { description: 'Command sent to signaling', schema: s.commandAccepted } },
      async handler({ request, params, body }) {
        const meeting = meetingOf(request);
        assertManages(principalOf(request), meeting);
        if (kind !== 'allow' && meeting.state !== 'live')
          throw AppError.precondition('The meeting is not live', 'meeting_not_live');
        const { track_sid: trackSid, display_name: displayName } = (body ?? {}) as {
          track_sid?: string;
          display_name?: string;
        };
        const type = COMMANDS[kind].type;
        const actor = actorOf(request);
        // Recorded before signaling hears of it: the refusal at join must not depend on the bus.
        if (kind === 'remove') await removals.remove(meeting, params.identity, displayName ?? '', actor);
        else if (kind === 'allow') await removals.allow(meeting, params.identity, actor);
        else
          await store.recordCommand(
            meeting,
            'meeting.participant_muted',
            { identity: params.identity, ...(trackSid === undefined ? {} : { track_sid: trackSid }) },
            actor,
          );
        const commandId = await publish(request, meeting, {
          type,
          identity: params.identity,
          ...(trackSid === undefined ? {} : { track_sid: trackSid }),
        });
        return { status: 202, body: { command_id: commandId, type, status: 'sent' } };
      },
    });
  participantCommand('mute');
  participantCommand('remove');
  participantCommand('allow');

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/removals',
    operationId: 'listRemovedParticipants',
    summary: 'People a host removed from the meeting, who cannot join until a host allows them back',
    tag: 'host controls',
    permission: hostPermission,
    guard: hostGuard(),
    params: s.meetingIdParams,
    preload: loadMeeting,
    responses: {
      200: { description: 'Removed people, in the order they were removed', schema: s.removalSchema.array() },
    },
    async handler({ request }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      return { status: 200, body: (await removals.list(meeting.id)).map(removalView) };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/lock',
    operationId: 'lockMeeting',
    summary: 'Lock or unlock a meeting: while locked, only hosts can join',
    tag: 'host controls',
    permission: hostPermission,
    guard: hostGuard(),
    params: s.meetingIdParams,
    body: s.lockBody,
    preload: loadMeeting,
    responses: { 200: { description: 'The meeting', schema: s.meetingSchema } },
    async handler({ request, body }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const after = await store.setLock(meeting.id, body.locked, actorOf(request));
      await publish(request, after, { type: 'set_room_lock', locked: body.locked });
      return { status: 200, body: view(after) };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/end',
    operationId: 'endMeeting',
    summary: 'End the meeting for everyone',
    tag: 'host controls',
    permission: hostPermission,
    guard: hostGuard(),
    params: s.meetingIdParams,
    preload: loadMeeting,
    responses: { 200: { description: 'The meeting after ending', schema: s.meetingSchema } },
    async handler({ request }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const after = await store.endForAll(meeting.id, actorOf(request));
      // assertManages let in the host, an organization admin or the superadmin: anyone but the host is
      // an administrator, and participants are told so rather than that their host ended it.
      const by = meeting.hostId === principalOf(request).userId ? 'host' : 'admin';
      await publish(request, after, { type: 'end_room', reason: 'host_ended', by });
      await lobbyEvents.changed(meeting.id);
      return { status: 200, body: view(after) };
    },
  });

  registerInviteLinkRoutes(table, deps, { loadMeeting });
  registerLobbyWaitRoutes(table, deps, { loadMeeting, lobbyAnswer });
  registerPresenceRoutes(table, deps);
  registerLiveRoomRoutes(table, { db: deps.db, settings, rooms: deps.rooms });

  // Audit -----------------------------------------------------------------------------------------

  table.add({
    method: 'GET',
    url: '/api/audit',
    operationId: 'listAuditEvents',
    summary: "An organization's audit log of meetings, invitations and lobby decisions, newest first",
    tag: 'audit',
    permission: 'audit:read',
    guard: requirePermission('audit:read', {
      orgFrom: (request) =>
        orgFromInput(
          request,
          (request as FastifyRequest & { parsed?: { query?: { org_id?: string } } }).parsed?.query?.org_id,
        ),
    }),
    query: s.auditQuery,
    responses: { 200: { description: 'One page', schema: s.auditPage } },
    async handler({ request, query }) {
      const orgId = requireOrg(request, query.org_id);
      let before: number | undefined;
      if (query.cursor !== undefined) {
        before = Number(query.cursor);
        if (!Number.isSafeInteger(before) || before < 1) {
          throw AppError.invalid('Invalid query parameters', [
            { field: 'cursor', message: 'is not a cursor this API issued' },
          ]);
        }
      }
      const filter = {
        actor: query.actor,
        action: query.action,
        target: query.entity_id,
        from: query.from,
        to: query.to,
      };
      const rangeProblem = auditRangeProblem(filter);
      if (rangeProblem !== null)
        throw AppError.invalid('Invalid query parameters', [{ field: 'to', message: rangeProblem }]);
      const rows = await deps.db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.orgId, orgId),
            auditFilterWhere(auditEvents, filter),
            before === undefined ? undefined : lt(auditEvents.id, before),
          ),
        )
        .orderBy(desc(auditEvents.id))
        .limit(query.limit + 1);
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return {
        status: 200,
        body: {
          items: items.map((e) => ({
            id: e.id,
            at: e.at.toISOString(),
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entityId,
            org_id: e.orgId,
            before: e.before,
            after: e.after,
            request_id: e.requestId,
          })),
          next_cursor: rows.length > query.limit && last !== undefined ? String(last.id) : null,
        },
      };
    },
  });
}

export type { FastifyReply };
