// Request and response shapes of the REST API (snake_case on the wire). Request objects are strict:
// an unknown field is a 400, so a typo never silently does nothing.
import { z } from 'zod';
import { auditFilterQuery } from '@origo/kit/db';
import { isValidTimeZone } from '../recurrence.js';

const ID = /^[a-z]{3,4}_[A-Za-z0-9_-]{22}$/;
export const idParam = (prefix: string, what: string) =>
  z
    .string()
    .regex(ID, `must be a ${what} id`)
    .refine((v) => v.startsWith(`${prefix}_`), `must be a ${what} id`);

export const orgIdSchema = z.string().min(1).max(64).describe('Organization id');
const timeZone = z
  .string()
  .refine(isValidTimeZone, 'must be an IANA time zone name such as Europe/Berlin')
  .describe('IANA time zone');
const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time with a time zone offset or Z',
});
const passcode = z
  .string()
  .regex(/^[A-Za-z0-9]{4,32}$/, 'must be 4 to 32 letters or digits')
  .describe('Passcode guests must give; stored hashed');
const recurrence = z
  .strictObject({
    rrule: z
      .string()
      .min(1)
      .max(500)
      .describe('RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10'),
  })
  .describe('Recurrence, expanded in time_zone from starts_at');

export const meetingIdParams = z.strictObject({ id: idParam('mtg', 'meeting') });

export const createMeetingBody = z.strictObject({
  org_id: orgIdSchema
    .optional()
    .describe('Owning organization; optional when the caller belongs to exactly one'),
  title: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Required for a scheduled meeting; an instant meeting without one is titled by its creation time, e.g. "Instant meeting, 2 Dec, 14:05", in locale and time_zone',
    ),
  locale: z
    .string()
    .max(35)
    .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'must be a BCP 47 language tag such as en-GB')
    .optional()
    .describe("The creator's language tag (BCP 47), for the title of an instant meeting; default en-GB"),
  description: z.string().max(2000).optional(),
  kind: z
    .enum(['instant', 'scheduled'])
    .optional()
    .describe('Defaults to scheduled when starts_at is given, else instant'),
  starts_at: instant.optional(),
  duration_minutes: z.int().min(1).max(1440).optional(),
  time_zone: timeZone.optional(),
  recurrence: recurrence.nullable().optional(),
  passcode: passcode.nullable().optional(),
  lobby_enabled: z.boolean().optional(),
  join_before_host: z.boolean().optional(),
  participant_cap: z.int().min(2).max(1000).optional(),
});
export type CreateMeetingBody = z.infer<typeof createMeetingBody>;

export const updateMeetingBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    starts_at: instant.optional(),
    duration_minutes: z.int().min(1).max(1440).optional(),
    time_zone: timeZone.optional(),
    recurrence: recurrence.nullable().optional(),
    passcode: passcode.nullable().optional(),
    lobby_enabled: z.boolean().optional(),
    join_before_host: z.boolean().optional(),
    participant_cap: z.int().min(2).max(1000).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'must change at least one field');
export type UpdateMeetingBody = z.infer<typeof updateMeetingBody>;

export const listMeetingsQuery = z.strictObject({
  org_id: orgIdSchema.optional(),
  state: z.enum(['scheduled', 'live', 'ended', 'cancelled']).optional(),
  upcoming: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe(
      'true: only meetings that can still be joined as upcoming (live, scheduled, and instant meetings never started no longer than an hour after their creation)',
    ),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
});

export const occurrencesQuery = z.strictObject({
  count: z.coerce.number().int().min(1).max(100).default(10),
  after: instant.optional().describe('Occurrences that have not ended by this instant; default now'),
});

export const meetingSchema = z.object({
  id: z.string(),
  org_id: z.string(),
  title: z.string(),
  description: z.string(),
  kind: z.enum(['instant', 'scheduled']),
  state: z.enum(['scheduled', 'live', 'ended', 'cancelled']),
  host_id: z.string(),
  starts_at: z.string().nullable(),
  duration_minutes: z.int(),
  time_zone: z.string(),
  recurrence: z.object({ rrule: z.string() }).nullable(),
  has_passcode: z.boolean(),
  lobby_enabled: z.boolean(),
  join_before_host: z.boolean(),
  participant_cap: z.int(),
  locked: z.boolean(),
  participant_count: z.int(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
  join_url: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
});

export const meetingPage = z.object({ items: z.array(meetingSchema), next_cursor: z.string().nullable() });

export const occurrencesSchema = z.object({
  time_zone: z.string(),
  items: z.array(z.object({ starts_at: z.string(), ends_at: z.string() })),
});

export const inviteBody = z.strictObject({
  emails: z.array(z.email().max(254)).min(1).max(50),
});

export const invitationSchema = z.object({
  id: z.string(),
  meeting_id: z.string(),
  email: z.string(),
  status: z.enum(['pending', 'revoked']),
  sent_at: z.string().nullable(),
  created_at: z.string(),
  created_by: z.string(),
});
export const issuedInvitationSchema = invitationSchema.extend({
  invite_token: z.string().describe('Shown once; the guest gives it to POST /join'),
  invite_url: z.string(),
});

export const invitationParams = z.strictObject({
  id: idParam('mtg', 'meeting'),
  invitation_id: idParam('inv', 'invitation'),
});

export const joinBody = z.strictObject({
  name: z.string().trim().min(1).max(100).optional().describe('Display name; required without an account'),
  passcode: z.string().min(1).max(64).optional(),
  invite_token: z.string().min(1).max(200).optional(),
  device_key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22,128}$/, 'must be 22 to 128 base64url characters')
    .optional()
    .describe(
      "A random key the guest's browser keeps and sends with every join: the same browser is the same guest (and stays removed when a host removed them)",
    ),
});

export const joinGrantsOut = z.object({ publish: z.boolean(), subscribe: z.boolean(), host: z.boolean() });

export const joinReadySchema = z.object({
  status: z.literal('ready'),
  token: z.string().describe('Join token (JWT, audience origo-signaling); send it in the first /ws message'),
  expires_at: z.string(),
  signaling_url: z.string(),
  room: z.string(),
  identity: z.string(),
  name: z.string(),
  grants: joinGrantsOut,
  meeting: z.object({ id: z.string(), title: z.string() }),
  recording: z
    .object({
      allowed: z.boolean(),
      reason: z.string().describe('Why not, and how to raise the limit; empty when allowed'),
    })
    .nullable()
    .describe(
      "For hosts: whether the organization's plan lets them start a recording now; null for others, " +
        'or when billing did not answer',
    ),
});

export const joinWaitingSchema = z.object({
  status: z.literal('waiting'),
  lobby_ticket: z.string().describe('Poll GET /api/meetings/{id}/lobby/{ticket} with it'),
  lobby_entry_id: z.string(),
  poll_interval_ms: z.int(),
  meeting: z.object({ id: z.string(), title: z.string() }),
});

export const lobbyTicketParams = z.strictObject({
  id: idParam('mtg', 'meeting'),
  ticket: z.string().min(20).max(100),
});
export const lobbyEntryParams = z.strictObject({
  id: idParam('mtg', 'meeting'),
  entry_id: idParam('lby', 'lobby entry'),
});

export const lobbyEntrySchema = z.object({
  id: z.string(),
  identity: z.string(),
  display_name: z.string(),
  status: z.enum(['waiting', 'admitted', 'denied']),
  created_at: z.string(),
});

export const participantParams = z.strictObject({
  id: idParam('mtg', 'meeting'),
  identity: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a participant identity'),
});
export const muteBody = z.strictObject({ track_sid: z.string().min(1).max(64).optional() });
export const removeBody = z.strictObject({
  display_name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('The name the host sees, shown in the list of removed people'),
});
export const removalSchema = z.object({
  identity: z.string(),
  display_name: z.string(),
  removed_at: z.string(),
  removed_by: z.string(),
});
export const lockBody = z.strictObject({ locked: z.boolean() });

export const commandAccepted = z.object({
  command_id: z.string(),
  type: z.string(),
  status: z.literal('sent'),
});

export const auditQuery = z.strictObject({
  org_id: orgIdSchema.optional(),
  entity_id: z.string().max(64).optional().describe('Only events about this entity (the target)'),
  actor: auditFilterQuery.actor.describe('Only events by this user id (or `signaling`, `system`, ...)'),
  action: auditFilterQuery.action.describe('Only actions starting with this text, e.g. `meeting.` '),
  from: auditFilterQuery.from.describe('Events at or after this instant'),
  to: auditFilterQuery.to.describe('Events before this instant'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(40).optional().describe('next_cursor of the previous page'),
});

export const auditEventSchema = z.object({
  id: z.int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  entity: z.string(),
  entity_id: z.string(),
  org_id: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  request_id: z.string().nullable(),
});
export const auditPage = z.object({ items: z.array(auditEventSchema), next_cursor: z.string().nullable() });

// Invite links, the pre-join preview and lobby long-polling ------------------------------------------

export const createInviteLinkBody = z.strictObject({
  expires_in_minutes: z
    .int()
    .min(5)
    .max(90 * 24 * 60)
    .optional()
    .describe(
      'Lifetime of the link; default a day for an instant meeting, or until a day after the next occurrence ends',
    ),
});

export const inviteLinkSchema = z.object({
  id: z.string(),
  meeting_id: z.string(),
  status: z.enum(['active', 'revoked', 'expired']),
  expires_at: z.string(),
  created_at: z.string(),
  created_by: z.string(),
});
export const issuedInviteLinkSchema = inviteLinkSchema.extend({
  invite_token: z.string().describe('Shown once; the guest gives it to POST /join'),
  invite_url: z.string().describe('The join page with the token in the fragment (never sent to servers)'),
});

export const inviteLinkParams = z.strictObject({
  id: idParam('mtg', 'meeting'),
  link_id: idParam('lnk', 'invite link'),
});

export const previewBody = z.strictObject({
  invite_token: z.string().min(1).max(200).optional(),
});

export const previewSchema = z.object({
  id: z.string(),
  title: z
    .string()
    .nullable()
    .describe('Shown to organization members and to holders of a valid invitation; null otherwise'),
  state: z.enum(['scheduled', 'live', 'ended', 'cancelled']),
  has_passcode: z.boolean(),
  lobby_enabled: z.boolean(),
  invitation: z
    .enum(['valid', 'expired', 'invalid', 'none'])
    .describe(
      "Whether the invite_token given (or the caller's verified e-mail) is a live invitation: `expired` for a token of this meeting's link that expired or was revoked (or of a revoked e-mail invitation), `invalid` for any other token (mangled, cut short, another meeting's), `none` without a token or invitation",
    ),
  access: z
    .enum(['member', 'invited', 'passcode', 'sign_in'])
    .describe(
      'How this caller can get in: as a member, by the invitation, with the passcode, or only by signing in',
    ),
});

export const lobbyWaitBody = z.strictObject({
  ticket: z.string().min(20).max(100),
  wait_seconds: z
    .int()
    .min(0)
    .max(25)
    .default(20)
    .describe('Hold the request up to this long while the entry is still waiting'),
});

export const lobbyWatchQuery = z.strictObject({
  version: z.string().max(64).optional().describe('version of the previous answer; omit on the first call'),
  wait_seconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(25)
    .default(20)
    .describe('Hold the request up to this long while the lobby still matches version'),
});

export const lobbyWatchSchema = z.object({
  version: z.string().describe('Opaque; pass it back to wait for the next change'),
  entries: z.array(lobbyEntrySchema),
});
