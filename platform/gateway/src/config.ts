import { z } from 'zod';
import { env } from '@origo/kit';

/**
 * Environment variables of the gateway role (besides the common ones). HOST defaults to 127.0.0.1 when
 * every role runs in one process (a laptop: nothing is exposed to the network unless asked for with
 * HOST=0.0.0.0) and to 0.0.0.0 in distributed mode (a pod must be reachable by its Service).
 */
export const gatewayConfigSchema = z.object({
  PORT: env.port(8080),
  HOST: z.string().min(1).optional(),
  /** Upstreams in distributed mode; in one process the AddressBook supplies them. */
  AUTH_URL: env.url(['http', 'https']).optional(),
  CONTROL_URL: env.url(['http', 'https']).optional(),
  SIGNALING_URL: env.url(['http', 'https', 'ws', 'wss']).optional(),
  NOTIFICATION_URL: env.url(['http', 'https']).optional(),
  CHAT_URL: env.url(['http', 'https']).optional(),
  RECORDING_URL: env.url(['http', 'https']).optional(),
  BILLING_URL: env.url(['http', 'https']).optional(),
  /** SFU workers' gRPC addresses (host:port, comma-separated) for the admin health view, as signaling's. */
  SFU_ADDRESSES: env.list().default([]),
  /** Origins allowed to call the API from another site (comma-separated); default none (same origin). */
  CORS_ORIGINS: env.list().default([]),
  RATE_LIMIT_WINDOW_SECONDS: env.int(60, 1, 3600),
  /** Requests per window per client address. */
  RATE_LIMIT_PER_IP: env.int(600, 1, 1_000_000),
  /** Requests per window per credential (access token or session cookie). */
  RATE_LIMIT_PER_USER: env.int(300, 1, 1_000_000),
  /** Largest request body forwarded to the APIs, in bytes. */
  BODY_LIMIT_BYTES: env.int(1024 * 1024, 1024, 64 * 1024 * 1024),
  /** Trust X-Forwarded-For/-Proto from an ingress in front (distributed mode behind TLS). */
  TRUST_PROXY: env.bool(false),
  /** Send Strict-Transport-Security on every response (also sent automatically on HTTPS requests). */
  HSTS: env.bool(false),
  /** Folder of the web client build; default: the @origo/client package's dist/ when it exists. */
  CLIENT_DIST: z.string().min(1).optional(),
  /** The address people open (every role's ORIGO_PUBLIC_URL); see GatewaySettings.publicUrl. */
  ORIGO_PUBLIC_URL: env.url(['http', 'https']).optional(),
  UPSTREAM_TIMEOUT_MS: env.int(30_000, 100, 600_000),
  /**
   * Largest WebSocket message a client may send through /ws; a larger one is closed with 1009 before it
   * reaches signaling. Keep it at or below signaling's hard limit (4 x SIGNAL_MAX_MESSAGE_BYTES), beyond
   * which signaling drops the connection without a close code.
   */
  WS_MAX_MESSAGE_BYTES: env.int(256 * 1024, 1024, 4 * 1024 * 1024),
});
export type GatewayEnvConfig = z.infer<typeof gatewayConfigSchema>;

export interface GatewaySettings {
  corsOrigins: string[];
  rateLimitWindowMs: number;
  rateLimitPerIp: number;
  rateLimitPerUser: number;
  bodyLimitBytes: number;
  trustProxy: boolean;
  hsts: boolean;
  /** Folder of the client build; the placeholder page is served while it holds no index.html. */
  clientDist: string | null;
  upstreamTimeoutMs: number;
  /** Largest client WebSocket message relayed to signaling; larger ones close with 1009. */
  wsMaxMessageBytes: number;
  /**
   * The address people open. When it is a loopback name (a laptop), a page opened through another loopback
   * name on the same port (127.0.0.1 for localhost) is redirected to it: the session cookie and the
   * same-origin checks belong to one origin, and sign-in would otherwise fail there.
   */
  publicUrl: string | null;
}

export function defaultGatewaySettings(overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    corsOrigins: [],
    rateLimitWindowMs: 60_000,
    rateLimitPerIp: 600,
    rateLimitPerUser: 300,
    bodyLimitBytes: 1024 * 1024,
    trustProxy: false,
    hsts: false,
    clientDist: null,
    upstreamTimeoutMs: 30_000,
    wsMaxMessageBytes: 256 * 1024,
    publicUrl: null,
    ...overrides,
  };
}
