import { z } from 'zod';
import { ConfigError, env } from '@origo/kit';
import type { S3StorageOptions } from './s3Storage.js';

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
  /** Control's gRPC address (the meeting's organization, host and title); unset on one machine: control's own. */
  CONTROL_GRPC_ADDRESS: z.string().min(1).optional(),
  /**
   * The billing service's gRPC address (the plan's recording limits at start, recording time and storage
   * metering); unset on one machine: billing's own. Unset when distributed: no plan check, nothing metered.
   */
  BILLING_GRPC_ADDRESS: z.string().min(1).optional(),
  /** The notification service's gRPC address ("recording ready" to the host); unset: the rows wait. */
  NOTIFICATION_GRPC_ADDRESS: z.string().min(1).optional(),
  /** IP address the SFU sends a recording's RTP to (this recorder as the SFU reaches it). */
  RECORDING_RTP_HOST: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
  /** Address FFmpeg binds its RTP ports on; default RECORDING_RTP_HOST (0.0.0.0 in a pod). */
  RECORDING_RTP_BIND: z.ipv4().or(z.ipv6()).optional(),
  /** FFmpeg binary (Debian's `ffmpeg` on PATH by default). */
  RECORDING_FFMPEG: z.string().min(1).default('ffmpeg'),
  /** This recorder's id: it finishes its own unfinished recordings after a restart. Default: the host name. */
  RECORDING_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
    .optional(),
  /** TrueType font for the names under the tiles; default DejaVu Sans or Liberation Sans when installed. */
  RECORDING_FONT: z.string().min(1).optional(),
  /** libx264 preset of the composite: faster presets let one core carry more recordings. */
  RECORDING_X264_PRESET: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'])
    .default('veryfast'),
  /** Store recordings in this S3 bucket instead of ORIGO_DATA/recordings. */
  S3_BUCKET: z.string().min(3).max(63).optional(),
  /** An S3-compatible store's URL (MinIO, Ceph RGW, ...); unset: AWS. */
  S3_ENDPOINT: env.url(['http', 'https']).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Credentials; unset: the SDK's default chain (environment, instance or pod role). */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Key prefix inside the bucket. */
  S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or folder names each ending in /')
    .default(''),
});
export type RecordingEnvConfig = z.infer<typeof recordingConfigSchema>;

/** The S3 store the configuration names, or undefined for the local folder. */
export function s3OptionsFrom(config: RecordingEnvConfig): S3StorageOptions | undefined {
  if (config.S3_BUCKET === undefined) return undefined;
  if ((config.S3_ACCESS_KEY_ID === undefined) !== (config.S3_SECRET_ACCESS_KEY === undefined))
    throw new ConfigError(
      config.S3_ACCESS_KEY_ID === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY',
      'is required with the other S3 credential',
    );
  return {
    bucket: config.S3_BUCKET,
    prefix: config.S3_PREFIX,
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    credentials:
      config.S3_ACCESS_KEY_ID !== undefined && config.S3_SECRET_ACCESS_KEY !== undefined
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}
