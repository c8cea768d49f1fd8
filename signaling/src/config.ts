import { hostname } from 'node:os';
import { env } from '@origo/kit';
import { z } from 'zod';

/** Environment of the signaling role; every limit has a default that suits production. */
export const signalingConfigSchema = z.object({
  /** Interface the WebSocket/HTTP listener binds to. */
  SIGNALING_HOST: z.string().default('127.0.0.1'),
  /**
   * Port of the WebSocket (`/ws`) and health/metrics endpoints. Default 7880 when the role runs alone, any free
   * port when every role runs in one process (the gateway is the public entry and finds it in the address book).
   */
  SIGNALING_PORT: env.port().optional(),
  /** Id of this signaling node in the shared store; default host name and pid. */
  SIGNALING_NODE_ID: z.string().min(1).max(128).default(`${hostname()}-${process.pid}`),
  /**
   * How long this node counts as alive in the shared store after its last heartbeat (ms); it beats every
   * third of that. Other nodes declare its participants left once it expires, so a node that dies is
   * noticed after at most this plus a fifth of it. Every signaling node of a deployment should use one value.
   */
  SIGNALING_NODE_TTL_MS: env.int(15_000, 300, 3_600_000),
  /**
   * How long a signed-in participant's presence (in a meeting, away) lasts in the shared store unless this
   * node refreshes it (every third of it, while the session lives): what a dead node wrote is gone after it.
   */
  SIGNALING_PRESENCE_TTL_MS: env.int(60_000, 300, 3_600_000),
  /** gRPC addresses of SFU workers, in addition to the AddressBook and the shared registry. */
  SFU_ADDRESSES: env.list().default([]),
  /** gRPC address of the control service for room lifecycle reports; AddressBook `control.grpc` otherwise. */
  CONTROL_GRPC_ADDRESS: z.string().min(1).optional(),
  /** gRPC address of the chat role; AddressBook `chat.grpc` otherwise (no chat when neither is set). */
  CHAT_GRPC_ADDRESS: z.string().min(1).optional(),
  /** Control's join-token JWKS (JOIN_TOKEN_JWKS_PATH); required unless every role runs in one process. */
  JOIN_TOKEN_JWKS_URL: env.url(['http', 'https']).optional(),
  /** Expected `aud` of join tokens. */
  JOIN_TOKEN_AUDIENCE: z.string().min(1).default('origo-signaling'),
  /** Largest signaling message answered with an error instead of being processed (bytes). */
  SIGNAL_MAX_MESSAGE_BYTES: env.int(64 * 1024, 1024, 1024 * 1024),
  /** Sustained messages per second per connection. */
  SIGNAL_RATE_PER_SECOND: env.int(20, 1, 10_000),
  /** Messages a connection may send at once (trickle ICE comes in bursts). */
  SIGNAL_RATE_BURST: env.int(60, 1, 100_000),
  /** Messages refused for rate in a row before the connection is closed (4429). */
  SIGNAL_FLOOD_CLOSE_AFTER: env.int(20, 1, 100_000),
  /** Ping interval the client is told to use (ms). */
  SIGNAL_PING_INTERVAL_MS: env.int(10_000, 100),
  /** A connection silent this long is closed (4408); the client is told the value. */
  SIGNAL_IDLE_TIMEOUT_MS: env.int(30_000, 200),
  /** A connection that has not sent a valid join this long after opening is closed (4401). */
  SIGNAL_JOIN_TIMEOUT_MS: env.int(15_000, 200),
  /** How long a session whose socket dropped can be resumed (ms). */
  SIGNAL_RESUME_GRACE_MS: env.int(20_000, 0),
  /** How long an empty room keeps its SFU router before it is closed (ms). */
  ROOM_EMPTY_GRACE_MS: env.int(30_000, 0),
  /**
   * How often a room's egress (bytes its router sent) is read and reported for billing while it lives (ms);
   * the final reading is taken when the router closes, so a crash loses at most this much.
   */
  EGRESS_SAMPLE_MS: env.int(60_000, 1000, 3_600_000),
  /** STUN URLs given to clients. */
  STUN_URLS: env.list().default([]),
  /** TURN URLs; with TURN_SECRET, clients get TURN REST credentials. */
  TURN_URLS: env.list().default([]),
  /** Lifetime of TURN credentials (s); clients get fresh ones on resume. */
  TURN_TTL_SECONDS: env.int(900, 60, 86_400),
});
export type SignalingConfig = z.infer<typeof signalingConfigSchema>;

/** Config with every default, for tests: `testConfig({ SIGNAL_IDLE_TIMEOUT_MS: 500 })`. */
export function signalingConfig(overrides: Partial<SignalingConfig> = {}): SignalingConfig {
  return { ...signalingConfigSchema.parse({}), ...overrides };
}
