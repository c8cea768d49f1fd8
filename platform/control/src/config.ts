import { z } from 'zod';
import { env } from '@origo/kit';

/**
 * Environment variables of the control role (besides the common ones: ORIGO_DATA, DATABASE_URL,
 * REDIS_URL, LOG_LEVEL). Ports default to 0 (any free port, published in the AddressBook) when every role
 * runs in one process, and to fixed ports in distributed mode.
 */
export const controlConfigSchema = z.object({
  CONTROL_HTTP_PORT: env.port().optional(),
  CONTROL_GRPC_PORT: env.port().optional(),
  CONTROL_HOST: z.string().min(1).optional(),
  /** Where the browser reaches Origo; used for invite and join links. */
  ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
  /** The signaling WebSocket URL handed out with join tokens; default: `/ws` on the caller's host. */
  SIGNALING_PUBLIC_URL: env.url(['ws', 'wss']).optional(),
  /** Notification service gRPC address (host:port); in one process the AddressBook's. */
  NOTIFICATION_GRPC_ADDRESS: z.string().min(1).optional(),
  /** Billing service gRPC address (host:port); in one process the AddressBook's. */
  BILLING_GRPC_ADDRESS: z.string().min(1).optional(),
  /** Auth service base URL (distributed mode); in one process the AddressBook's `auth.http` is used. */
  AUTH_URL: env.url(['http', 'https']).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
  JOIN_TOKEN_TTL_SECONDS: env.int(300, 30, 3600),
  LOBBY_TICKET_TTL_SECONDS: env.int(1800, 60, 86_400),
  /** Wrong passcodes allowed per meeting and client address in 15 minutes before 429. */
  PASSCODE_MAX_FAILURES: env.int(10, 1, 10_000),
});
export type ControlEnvConfig = z.infer<typeof controlConfigSchema>;

export interface ControlSettings {
  publicUrl: string;
  signalingUrl: string | undefined;
  joinTokenTtlSeconds: number;
  lobbyTicketTtlSeconds: number;
  passcodeMaxFailures: number;
}

export function defaultSettings(overrides: Partial<ControlSettings> = {}): ControlSettings {
  return {
    publicUrl: 'http://localhost:8080',
    signalingUrl: undefined,
    joinTokenTtlSeconds: 300,
    lobbyTicketTtlSeconds: 1800,
    passcodeMaxFailures: 10,
    ...overrides,
  };
}

export function settingsFromEnv(config: ControlEnvConfig): ControlSettings {
  return defaultSettings({
    publicUrl: config.ORIGO_PUBLIC_URL.replace(/\/+$/, ''),
    signalingUrl: config.SIGNALING_PUBLIC_URL,
    joinTokenTtlSeconds: config.JOIN_TOKEN_TTL_SECONDS,
    lobbyTicketTtlSeconds: config.LOBBY_TICKET_TTL_SECONDS,
    passcodeMaxFailures: config.PASSCODE_MAX_FAILURES,
  });
}
