// The admin dashboard's live rooms: every live meeting of an organization (or, for the superadmin, of every
// organization) with its participants, duration, SFU worker and byte counters. Ending a room and removing
// a participant go through the host controls (POST /api/meetings/:id/end, .../participants/:identity/remove).
import type { FastifyRequest } from 'fastify';
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { requirePermission } from '../access.js';
import type { Db } from '../audit.js';
import type { ControlSettings } from '../config.js';
import { meetings, type MeetingRow } from '../db/schema.js';
import type { OrgId } from '../ids.js';
import type { LiveRoomInspector, LiveRoomState } from '../live-rooms.js';
import type { RouteTable } from './route.js';
import { meetingView, orgFromInput, principalOf, requireOrg } from './routes.js';
import { meetingSchema, orgIdSchema } from './schemas.js';

export interface LiveRoomRouteDeps {
  db: Db;
  settings: ControlSettings;
  rooms: LiveRoomInspector;
}

/** Rooms listed per request at most; an installation with more live meetings pages by organization. */
const MAX_ROOMS = 200;

const liveRoomsQuery = z.strictObject({
  org_id: orgIdSchema
    .optional()
    .describe('The organization; the superadmin leaves it out to see every organization'),
});

const liveRoomSchema = z.object({
  meeting: meetingSchema,
  duration_seconds: z.int().describe('Since the room started'),
  participants: z.array(
    z.object({
      sid: z.string(),
      identity: z.string(),
      name: z.string(),
      is_host: z.boolean(),
      joined_at: z.string(),
      media: z
        .object({
          bytes_received: z
            .number()
            .describe('RTP payload bytes the SFU received from the participant, in total'),
          bytes_sent: z.number().describe('RTP payload bytes the SFU sent to the participant, in total'),
        })
        .nullable()
        .describe("The participant's SFU counters; null when the room's media or their peer is not known"),
    }),
  ),
  media: z
    .object({
      worker_id: z.string(),
      room_sid: z.string(),
      bytes_received: z.number().describe('Bytes the worker received for the room, in total'),
      bytes_sent: z.number().describe('Bytes the worker sent for the room, in total'),
      sampled_at: z.string(),
    })
    .nullable(),
  media_problem: z.string().nullable().describe('Why media is null'),
});

function roomJson(settings: ControlSettings, meeting: MeetingRow, state: LiveRoomState, nowMs: number) {
  const started = meeting.startedAt?.getTime() ?? nowMs;
  const peers = new Map((state.media?.peers ?? []).map((p) => [p.sid, p]));
  return {
    meeting: meetingView(settings, meeting),
    duration_seconds: Math.max(0, Math.floor((nowMs - started) / 1000)),
    participants: state.participants.map((p) => {
      const peer = peers.get(p.sid);
      return {
        sid: p.sid,
        identity: p.identity,
        name: p.name,
        is_host: p.isHost,
        joined_at: new Date(p.joinedAt).toISOString(),
        media: peer === undefined ? null : { bytes_received: peer.bytesReceived, bytes_sent: peer.bytesSent },
      };
    }),
    media:
      state.media === null
        ? null
        : {
            worker_id: state.media.workerId,
            room_sid: state.media.roomSid,
            bytes_received: state.media.bytesReceived,
            bytes_sent: state.media.bytesSent,
            sampled_at: new Date(state.media.sampledAt).toISOString(),
          },
    media_problem: state.mediaProblem,
  };
}

export function registerLiveRoomRoutes(table: RouteTable, deps: LiveRoomRouteDeps): void {
  table.add({
    method: 'GET',
    url: '/api/live-rooms',
    operationId: 'listLiveRooms',
    summary: 'Live meetings with their participants, SFU worker and media byte counters (admin dashboard)',
    description:
      'Organization admins see their organization; the superadmin sees every organization when org_id is left out. Byte counters are totals: two samples make a bitrate.',
    tag: 'admin',
    permission: 'audit:read',
    guard: requirePermission('audit:read', {
      orgFrom: (request) =>
        orgFromInput(
          request,
          (request as FastifyRequest & { parsed?: { query?: { org_id?: string } } }).parsed?.query?.org_id,
        ),
    }),
    query: liveRoomsQuery,
    responses: {
      200: {
        description: 'Live rooms with at least one participant, oldest first',
        schema: z.object({ items: z.array(liveRoomSchema) }),
      },
    },
    async handler({ request, query }) {
      const principal = principalOf(request);
      const orgId: OrgId | undefined =
        query.org_id === undefined && principal.superadmin ? undefined : requireOrg(request, query.org_id);
      const rows = await deps.db
        .select()
        .from(meetings)
        .where(and(eq(meetings.state, 'live'), orgId === undefined ? undefined : eq(meetings.orgId, orgId)))
        .orderBy(asc(meetings.startedAt), asc(meetings.id))
        .limit(MAX_ROOMS);
      const states = await Promise.all(rows.map((m) => deps.rooms.inspect(m.id)));
      const nowMs = Date.now();
      // A room whose last participant left keeps its meeting live and its router for signaling's empty grace
      // (ROOM_EMPTY_GRACE_MS), so whoever comes back within it rejoins the same room; nobody is in it
      // meanwhile, so it is not a live room to watch or act on. It shows again when someone rejoins.
      const items = rows.flatMap((m, i) => {
        const state = states[i] as LiveRoomState;
        return state.participants.length === 0 ? [] : [roomJson(deps.settings, m, state, nowMs)];
      });
      return { status: 200, body: { items } };
    },
  });
}
