// Presence of an organization's members (online, in a meeting, away) and the dashboard's heartbeat that
// makes a signed-in user online. Signaling writes the in-meeting part (presence.ts explains the store);
// the dashboard sends a heartbeat here every PRESENCE_TTL_MS / 3 while it is open, so no other role is
// involved for "online". Meetings are named only to callers who may read them.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from '@origo/kit';
import { authenticatedRoute, hasPermission, requirePermission } from '../access.js';
import type { MemberDirectory } from '../directory.js';
import type { MeetingId } from '../ids.js';
import type { MeetingStore } from '../meetings.js';
import { PRESENCE_TTL_MS, type PresenceStore, type UserPresence } from '../presence.js';
import type { RouteTable } from './route.js';
import { orgFromInput, principalOf, requireOrg } from './routes.js';
import { orgIdSchema } from './schemas.js';

export interface PresenceRouteDeps {
  store: MeetingStore;
  presence: PresenceStore;
  /** Who belongs to an organization (auth); without it the list answers UNAVAILABLE. */
  directory: MemberDirectory | undefined;
}

const heartbeatBody = z.strictObject({
  state: z
    .enum(['online', 'away'])
    .default('online')
    .describe('away while the page is hidden; online while it shows'),
});
const heartbeatSchema = z.object({
  state: z.enum(['online', 'away']),
  next_heartbeat_ms: z.int().describe('Send the next heartbeat within this many ms to stay listed'),
});
const presenceQuery = z.strictObject({ org_id: orgIdSchema.optional() });
const presenceSchema = z.object({
  items: z.array(
    z.object({
      user_id: z.string(),
      display_name: z.string(),
      state: z.enum(['online', 'in_meeting', 'away']),
      since: z.string().describe('When the current state began'),
      meetings: z
        .array(z.object({ id: z.string(), title: z.string() }))
        .describe('The meetings the member is in that the caller may read; others are left out'),
    }),
  ),
});

const ORDER: Record<UserPresence['state'], number> = { in_meeting: 0, online: 1, away: 2 };

export function registerPresenceRoutes(table: RouteTable, deps: PresenceRouteDeps): void {
  const { store, presence } = deps;

  table.add({
    method: 'POST',
    url: '/api/presence/heartbeat',
    operationId: 'presenceHeartbeat',
    summary: 'Count the signed-in caller as online (or away) for the next minute; the dashboard calls it',
    tag: 'presence',
    permission: 'signed in',
    guard: authenticatedRoute(),
    body: heartbeatBody,
    responses: { 200: { description: 'Recorded', schema: heartbeatSchema } },
    async handler({ request, body }) {
      const principal = principalOf(request);
      await presence.put(principal.userId, `web:${principal.sessionId}`, { state: body.state });
      return { status: 200, body: { state: body.state, next_heartbeat_ms: Math.floor(PRESENCE_TTL_MS / 3) } };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/presence',
    operationId: 'listPresence',
    summary: "Who of an organization's members is online, in a meeting or away now",
    description:
      'Members without presence (offline) are not listed. A meeting is named only when the caller may read it.',
    tag: 'presence',
    permission: 'org:read',
    guard: requirePermission('org:read', {
      orgFrom: (request) =>
        orgFromInput(
          request,
          (request as FastifyRequest & { parsed?: { query?: { org_id?: string } } }).parsed?.query?.org_id,
        ),
    }),
    query: presenceQuery,
    responses: { 200: { description: 'Present members, in a meeting first', schema: presenceSchema } },
    async handler({ request, query }) {
      const principal = principalOf(request);
      const orgId = requireOrg(request, query.org_id);
      if (deps.directory === undefined)
        throw new AppError(ErrorCode.UNAVAILABLE, 'The member directory is not configured');
      const members = await deps.directory(orgId, {
        cookie: request.headers.cookie,
        authorization: request.headers.authorization,
      });
      const found = await presence.read(members.map((m) => m.userId));
      const meetingIds = [...new Set([...found.values()].flatMap((p) => p.meetingIds))];
      const readable = new Map<string, string>();
      await Promise.all(
        meetingIds.map(async (id) => {
          const meeting = await store.get(id as MeetingId);
          if (meeting !== null && hasPermission(principal, 'meeting:read', meeting.orgId))
            readable.set(id, meeting.title);
        }),
      );
      const items = members.flatMap((m) => {
        const p = found.get(m.userId);
        if (p === undefined) return [];
        return [
          {
            user_id: m.userId,
            display_name: m.displayName,
            state: p.state,
            since: new Date(p.since).toISOString(),
            meetings: p.meetingIds.flatMap((id) => {
              const title = readable.get(id);
              return title === undefined ? [] : [{ id, title }];
            }),
          },
        ];
      });
      items.sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.display_name.localeCompare(b.display_name));
      return { status: 200, body: { items } };
    },
  });
}
