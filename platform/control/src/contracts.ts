// Contracts between control and signaling that do not travel over gRPC. Kept free of heavy imports
// (zod only) so signaling can import `@origo/control/contracts` without pulling in the database.
//
// Direction control -> signaling: host controls are published on the kit bus channel `room-commands`
// (memory hub in single-machine mode, Redis pub/sub when REDIS_URL is set). Every signaling node
// subscribes; the node that holds the room named in `room` carries the command out, the others ignore
// it. Delivery is at most once: control records the intent (audit row, lock flag, meeting state) before
// publishing, and join checks in control do not depend on signaling having seen the command.
//
// Direction signaling -> control: room lifecycle events go over gRPC, `ControlService.ReportRoomEvent`
// (proto/origo/rpc/control/v1/control.proto), idempotent by event_id, so they survive a control restart
// (signaling retries) and are applied once even with several control replicas.
import { z } from 'zod';

/** Kit bus channel of host controls, control -> signaling. */
export const ROOM_COMMANDS_CHANNEL = 'room-commands';

// Join tokens (control -> client -> signaling): a JWT control signs with its private join-token key and
// signaling verifies with the public keys control serves at JOIN_TOKEN_JWKS_PATH (the current key and,
// during a rotation, the previous one). Signaling never holds a private key, so no signaling node can
// mint a host token. Control signs and signaling verifies with this one schema.

/** Audience of join tokens; signaling verifies it. */
export const JOIN_TOKEN_AUDIENCE = 'origo-signaling';
/** Issuer of join tokens. */
export const JOIN_TOKEN_ISSUER = 'origo-control';
/** Asymmetric algorithms only: no HS* (a verifier must not be able to mint) and never `none`. */
export const JOIN_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
/** Control's HTTP path serving the join-token public keys as a JWKS. */
export const JOIN_TOKEN_JWKS_PATH = '/.well-known/join-token-jwks.json';
/** Room names signaling accepts: control's meeting ids, and what tests and operators may use. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** What a join token allows (the `grants` claim). */
export const joinGrantsSchema = z.object({
  publish: z.boolean(),
  subscribe: z.boolean(),
  /** Host actions: mute others, remove, lock, end for all. */
  host: z.boolean(),
});
export type JoinGrants = z.infer<typeof joinGrantsSchema>;

/** Claims of a join token (JWT, EdDSA, header `kid`), signed with PLATFORM_SECRETS.joinTokenKey. */
export const joinTokenClaimsSchema = z.object({
  iss: z.literal(JOIN_TOKEN_ISSUER),
  aud: z.literal(JOIN_TOKEN_AUDIENCE),
  /** Stable identity of the participant: a user id (`usr_...`) or a guest identity (`gst_...`). */
  sub: z.string().min(1).max(256),
  /** Display name. */
  name: z.string().min(1).max(256),
  /** The meeting id; signaling uses it as the room name. */
  room: z.string().regex(ROOM_NAME_PATTERN, 'room may contain letters, digits and . _ : - only'),
  grants: joinGrantsSchema,
  /** Participant cap of the meeting, so signaling can refuse the join that would exceed it. */
  max_participants: z.number().int().positive(),
  iat: z.number().int(),
  /** `iat` in milliseconds. */
  iat_ms: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(1),
});
export type JoinTokenClaims = z.infer<typeof joinTokenClaimsSchema>;

const commandBase = {
  /** Version of this contract; a consumer ignores versions it does not know. */
  v: z.literal(1),
  /** Unique id (UUID); consumers may use it to drop duplicates. */
  command_id: z.string().min(1),
  /** The meeting id (room name). */
  room: z.string().min(1),
  /** User id of the host who asked. */
  issued_by: z.string().min(1),
  /** When control published it, ms since the epoch. */
  issued_at_ms: z.number().int(),
  /** Request id of the REST call, for correlating logs. */
  request_id: z.string().optional(),
};

/**
 * A host control for signaling to carry out. Participants are named by `identity` (the join token's
 * `sub`), since control does not know signaling's participant sids; every session of that identity in
 * the room is affected.
 */
export const roomCommandSchema = z.discriminatedUnion('type', [
  z.object({
    ...commandBase,
    type: z.literal('mute_participant'),
    identity: z.string().min(1),
    /** Mute only this track; absent mutes all of the participant's audio tracks. */
    track_sid: z.string().min(1).optional(),
  }),
  z.object({
    ...commandBase,
    type: z.literal('remove_participant'),
    identity: z.string().min(1),
  }),
  z.object({
    ...commandBase,
    type: z.literal('allow_participant'),
    /** Lets a participant a host removed join the room again. */
    identity: z.string().min(1),
  }),
  z.object({
    ...commandBase,
    type: z.literal('set_room_lock'),
    /** While locked, signaling refuses new joins to the room even with an unexpired token. */
    locked: z.boolean(),
  }),
  z.object({
    ...commandBase,
    type: z.literal('end_room'),
    /**
     * `host_ended` (a host ended it for all), `meeting_cancelled`, or `time_limit` (the meeting reached the
     * length its organization's plan allows).
     */
    reason: z.enum(['host_ended', 'meeting_cancelled', 'time_limit']),
    /**
     * With `host_ended`: who ended it, `admin` when an administrator who is not the meeting's host did (the
     * admin dashboard), so participants are told who. Optional, so a node of the previous version that
     * does not know it still ends the room (as a host's end).
     */
    by: z.enum(['host', 'admin']).optional(),
  }),
  z.object({
    ...commandBase,
    type: z.literal('time_limit_warning'),
    /** When control will end the meeting, ms since the epoch. */
    ends_at_ms: z.number().int(),
    /** The plan's cap on a meeting's length, in minutes. */
    limit_minutes: z.number().int().positive(),
    /** The plan's display name, for the notice. */
    plan_name: z.string().min(1),
  }),
  z.object({
    ...commandBase,
    type: z.literal('recording_changed'),
    /**
     * From the recording service: a recording of the room started (true) or ended (false, stopped or
     * failed). Signaling tells everyone in the room, and those who join while it runs.
     */
    recording: z.boolean(),
    /** The recording's id; the one that ended when `recording` is false. */
    recording_id: z.string().min(1).max(128),
  }),
]);
export type RoomCommand = z.infer<typeof roomCommandSchema>;
export type RoomCommandType = RoomCommand['type'];

// Direction control -> billing: every room event control records from signaling is written, in the
// transaction that records it, into control's outbox (`@origo/kit/outbox`, topic `billing`) and handed to
// billing over gRPC (`BillingService.RecordUsageEvents`) until billing takes it, so billing meters events
// that happened while it was down. Billing stores each event once by its id (docs/adr/0007). The
// recording service does the same with its recording events.

/**
 * Kit bus channel billing publishes on when it listens (a wake-up only, at most once): producers send
 * their waiting outbox rows at once instead of waiting out their backoff.
 */
export const BILLING_READY_CHANNEL = 'billing.ready';

/** Outbox topic of usage events for billing, in control's and recording's outboxes. */
export const BILLING_OUTBOX_TOPIC = 'billing';
