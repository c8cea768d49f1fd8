// Long-polling for the lobby: the guest's wait for a decision and the host's view of who is waiting.
// Each request is held until the lobby changes (LobbyEvents) or wait_seconds pass, so a decision reaches
// the other side at once without polling; the hold stays under the gateway's upstream timeout (30 s).
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@origo/kit';
import { publicRoute, requirePermission } from '../access.js';
import type { LobbyEntryRow, MeetingRow } from '../db/schema.js';
import type { MeetingId } from '../ids.js';
import type { RouteTable } from './route.js';
import { assertManages, lobbyView, meetingOf, principalOf, type RouteDeps } from './routes.js';
import * as s from './schemas.js';

export interface LobbyWaitHelpers {
  loadMeeting: (request: FastifyRequest) => Promise<void>;
  lobbyAnswer: (request: FastifyRequest, meeting: MeetingRow, entry: LobbyEntryRow) => Promise<unknown>;
}

/** Opaque version of a lobby list: changes whenever an entry comes, goes or changes status. */
function versionOf(entries: readonly LobbyEntryRow[]): string {
  const text = entries.map((e) => `${e.id}:${e.status}:${e.displayName}`).join('|');
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

export function registerLobbyWaitRoutes(
  table: RouteTable,
  deps: Pick<RouteDeps, 'store' | 'lobbyEvents'>,
  helpers: LobbyWaitHelpers,
): void {
  const { store, lobbyEvents } = deps;
  const meetingOrg = (request: FastifyRequest) => request.meeting?.orgId;

  /** Re-reads the meeting after a wake-up: it may have ended while the request was held. */
  const reload = async (id: MeetingId): Promise<MeetingRow> => {
    const meeting = await store.get(id);
    if (meeting === null) throw AppError.notFound('Meeting');
    return meeting;
  };

  table.add({
    method: 'POST',
    url: '/api/meetings/:id/lobby/wait',
    operationId: 'waitInLobby',
    summary: 'Wait for a lobby decision: answers as soon as a host admits (join token) or denies (403)',
    description:
      'Held up to wait_seconds while the entry is waiting, then answers waiting; call again at once. The ticket goes in the body, so it never appears in a URL or an access log.',
    tag: 'join',
    permission: 'the lobby ticket',
    guard: publicRoute(),
    params: s.meetingIdParams,
    body: s.lobbyWaitBody,
    preload: helpers.loadMeeting,
    responses: {
      200: {
        description: 'Waiting (after wait_seconds), or admitted with a join token',
        schema: s.joinReadySchema.or(
          s.joinWaitingSchema.pick({ status: true, poll_interval_ms: true, meeting: true }),
        ),
      },
    },
    async handler({ request, body }) {
      let meeting = meetingOf(request);
      const deadline = Date.now() + body.wait_seconds * 1000;
      for (;;) {
        // Armed before the read, so a decision between the read and the wait still wakes us.
        const next = lobbyEvents.next(meeting.id, deadline - Date.now());
        const entry = await store.lobbyByTicket(meeting.id, body.ticket);
        if (entry === null) {
          next.cancel();
          throw AppError.notFound('Lobby ticket');
        }
        if (
          entry.status !== 'waiting' ||
          Date.now() >= deadline ||
          lobbyEvents.closed ||
          meeting.state === 'ended' ||
          meeting.state === 'cancelled'
        ) {
          next.cancel();
          return { status: 200, body: await helpers.lobbyAnswer(request, meeting, entry) };
        }
        await next.settled;
        meeting = await reload(meeting.id);
      }
    },
  });

  table.add({
    method: 'GET',
    url: '/api/meetings/:id/lobby-watch',
    operationId: 'watchLobby',
    summary: 'The lobby list, answered when it differs from version (or after wait_seconds)',
    description:
      'Long-poll: pass the version of the previous answer; the request is held until someone enters, is admitted or denied, or wait_seconds pass. Without version it answers at once.',
    tag: 'host controls',
    permission: 'meeting:host (own meeting unless org admin)',
    guard: requirePermission('meeting:host', { orgFrom: meetingOrg }),
    params: s.meetingIdParams,
    query: s.lobbyWatchQuery,
    preload: helpers.loadMeeting,
    responses: { 200: { description: 'The waiting entries and their version', schema: s.lobbyWatchSchema } },
    async handler({ request, query }) {
      const meeting = meetingOf(request);
      assertManages(principalOf(request), meeting);
      const deadline = Date.now() + query.wait_seconds * 1000;
      for (;;) {
        const next = lobbyEvents.next(meeting.id, deadline - Date.now());
        const entries = await store.waitingLobby(meeting.id);
        const version = versionOf(entries);
        if (version !== query.version || Date.now() >= deadline || lobbyEvents.closed) {
          next.cancel();
          return { status: 200, body: { version, entries: entries.map(lobbyView) } };
        }
        await next.settled;
      }
    },
  });
}
