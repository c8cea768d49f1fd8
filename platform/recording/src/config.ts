import { z } from 'zod';
import { env } from '@origo/kit';

/**
 * Environment variables of the recording role (besides the common ones: ORIGO_DATA, DATABASE_URL, REDIS_URL,
 * LOG_LEVEL). In one process the auth and control addresses come from the AddressBook; distributed, AUTH_URL
 * and CONTROL_URL are required, and RECORDING_RTP_HOST must be the pod IP the SFU can reach.
 */
export const recordingConfigSchema = z.object({
  RECORDING_HTTP_PORT: env.port().optional(),
  RECORDING_HOST: z.string().min(1).optional(),
  /** Where the browser reaches Origo (the trusted origin of cookie-authenticated changes). */
  ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
  AUTH_URL: env.url(['http', 'https']).optional(),
  CONTROL_URL: env.url(['http', 'https']).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
  /** Control's join-token JWKS; unset: control's own (CONTROL_URL, or its address on one machine). */
  JOIN_TOKEN_JWKS_URL: env.url(['http', 'https']).optional(),
  /** IP address the SFU sends a recording's RTP to (this recorder as the SFU reaches it). */
  RECORDING_RTP_HOST: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
  /** Address FFmpeg binds its RTP ports on; default RECORDING_RTP_HOST (0.0.0.0 in a pod). */
  RECORDING_RTP_BIND: z.ipv4().or(z.ipv6()).optional(),
  /** FFmpeg binary (Debian's `ffmpeg` on PATH by default). */
  RECORDING_FFMPEG: z.string().min(1).default('ffmpeg'),
  /** libx264 preset of the composite: faster presets let one core carry more recordings. */
  RECORDING_X264_PRESET: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'])
    .default('veryfast'),
});
export type RecordingEnvConfig = z.infer<typeof recordingConfigSchema>;
