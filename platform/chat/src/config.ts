import { z } from 'zod';
import { env } from '@origo/kit';
import { DEFAULT_LIMITS, type ChatLimits } from './limits.js';

/**
 * Environment variables of the chat role (besides the common ones: ORIGO_DATA, DATABASE_URL, LOG_LEVEL).
 * In one process the auth and control addresses come from the AddressBook; distributed, AUTH_URL and
 * CONTROL_URL are required.
 */
export const chatConfigSchema = z.object({
  CHAT_HTTP_PORT: env.port().optional(),
  CHAT_GRPC_PORT: env.port().optional(),
  CHAT_HOST: z.string().min(1).optional(),
  /** Where the browser reaches Origo (the trusted origin of cookie-authenticated changes). */
  ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
  AUTH_URL: env.url(['http', 'https']).optional(),
  CONTROL_URL: env.url(['http', 'https']).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
  /** Control's join-token JWKS; unset: control's own (CONTROL_URL, or its address on one machine). */
  JOIN_TOKEN_JWKS_URL: env.url(['http', 'https']).optional(),
  /** Largest message in bytes of UTF-8. */
  CHAT_MAX_MESSAGE_BYTES: env.int(DEFAULT_LIMITS.maxMessageBytes, 1, 16 * 1024),
  /** Messages per second one participant may send, sustained. */
  CHAT_RATE_PER_SECOND: env.int(DEFAULT_LIMITS.ratePerSecond, 1, 1000),
  /** Messages one participant may send in a burst. */
  CHAT_RATE_BURST: env.int(DEFAULT_LIMITS.rateBurst, 1, 10_000),
});
export type ChatEnvConfig = z.infer<typeof chatConfigSchema>;

export function limitsFromEnv(config: ChatEnvConfig): ChatLimits {
  return {
    maxMessageBytes: config.CHAT_MAX_MESSAGE_BYTES,
    ratePerSecond: config.CHAT_RATE_PER_SECOND,
    rateBurst: config.CHAT_RATE_BURST,
  };
}
