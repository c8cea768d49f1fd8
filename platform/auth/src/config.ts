import { z } from 'zod';
import { env } from '@origo/kit';

const seconds = (fallback: number, min: number, max: number) => env.int(fallback, min, max);

/**
 * Environment variables of the auth role (besides the common ones: ORIGO_DATA, DATABASE_URL, REDIS_URL,
 * LOG_LEVEL). The four OIDC_* connection variables are all set or all unset.
 */
export const authConfigSchema = z
  .object({
    AUTH_HTTP_PORT: env.port().optional(),
    AUTH_HTTP_HOST: z.string().optional(),
    /** The notification service's gRPC address (host:port); in one process the AddressBook's. */
    NOTIFICATION_GRPC_ADDRESS: z.string().min(1).optional(),
    /** Where the browser reaches Origo; used in e-mail links and as the trusted Origin for cookie requests. */
    ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
    AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
    AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
    AUTH_ACCESS_TOKEN_TTL_SECONDS: seconds(600, 300, 900),
    AUTH_SIGNING_ALG: z.enum(['EdDSA', 'ES256'], { error: 'must be EdDSA or ES256' }).default('EdDSA'),
    /** How long a replaced signing key stays in the JWKS; at least one access token lifetime. */
    AUTH_KEY_OVERLAP_SECONDS: seconds(86_400, 900, 30 * 86_400),
    /** The active key is rotated automatically once older than this (0 disables automatic rotation). */
    AUTH_KEY_MAX_AGE_DAYS: env.int(30, 0, 3650),
    AUTH_SESSION_IDLE_DAYS: env.int(7, 1, 365),
    AUTH_SESSION_ABSOLUTE_DAYS: env.int(30, 1, 3650),
    /** Set false only for plain-http development (http://localhost). */
    AUTH_COOKIE_SECURE: env.bool(true),
    /** Trust X-Forwarded-For from the gateway; defaults to true in single-machine mode (loopback only). */
    AUTH_TRUST_PROXY: z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .optional(),
    AUTH_SIGNUP_ENABLED: env.bool(true),
    AUTH_THROTTLE_WINDOW_SECONDS: seconds(900, 10, 86_400),
    AUTH_THROTTLE_PAIR_FAILURES: env.int(5, 1, 1000),
    AUTH_THROTTLE_EMAIL_FAILURES: env.int(20, 1, 100_000),
    AUTH_THROTTLE_IP_FAILURES: env.int(100, 1, 1_000_000),
    OIDC_ISSUER: env.url(['http', 'https']).optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_REDIRECT_URL: env.url(['http', 'https']).optional(),
    OIDC_NAME: z.string().min(1).max(64).default('Single sign-on'),
  })
  .superRefine((value, ctx) => {
    const oidc = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL'] as const;
    const set = oidc.filter((key) => value[key] !== undefined);
    if (set.length > 0 && set.length < oidc.length) {
      const missing = oidc.find((key) => value[key] === undefined) ?? 'OIDC_ISSUER';
      ctx.addIssue({ code: 'custom', path: [missing], message: `must be set when ${set.join(', ')} is set` });
    }
    if (value.AUTH_SESSION_ABSOLUTE_DAYS < value.AUTH_SESSION_IDLE_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_SESSION_ABSOLUTE_DAYS'],
        message: 'must be at least AUTH_SESSION_IDLE_DAYS',
      });
    }
  });
export type AuthEnvConfig = z.infer<typeof authConfigSchema>;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  name: string;
  /** Tests only: allow an http:// issuer (the in-test provider on 127.0.0.1). */
  allowInsecureRequests?: boolean;
}

export interface ThrottleSettings {
  windowMs: number;
  /** Failures per (e-mail, IP) pair before that pair is refused for the rest of the window. */
  pairFailures: number;
  /** Failures per e-mail (any IP) before exponential back-off applies to IPs never used successfully. */
  emailFailures: number;
  /** Failures per IP (any e-mail) before that IP is refused. */
  ipFailures: number;
}

/** The settings a service instance runs with (tests build this directly). */
export interface AuthSettings {
  publicUrl: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  signingAlg: 'EdDSA' | 'ES256';
  keyOverlapSeconds: number;
  keyMaxAgeDays: number;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  cookieSecure: boolean;
  signupEnabled: boolean;
  throttle: ThrottleSettings;
  oidc: OidcSettings | null;
}

const DAY_MS = 86_400_000;

export function settingsFromEnv(config: AuthEnvConfig): AuthSettings {
  return {
    publicUrl: config.ORIGO_PUBLIC_URL.replace(/\/+$/, ''),
    issuer: config.AUTH_JWT_ISSUER,
    audience: config.AUTH_JWT_AUDIENCE,
    accessTokenTtlSeconds: config.AUTH_ACCESS_TOKEN_TTL_SECONDS,
    signingAlg: config.AUTH_SIGNING_ALG,
    keyOverlapSeconds: Math.max(config.AUTH_KEY_OVERLAP_SECONDS, config.AUTH_ACCESS_TOKEN_TTL_SECONDS),
    keyMaxAgeDays: config.AUTH_KEY_MAX_AGE_DAYS,
    sessionIdleMs: config.AUTH_SESSION_IDLE_DAYS * DAY_MS,
    sessionAbsoluteMs: config.AUTH_SESSION_ABSOLUTE_DAYS * DAY_MS,
    cookieSecure: config.AUTH_COOKIE_SECURE,
    signupEnabled: config.AUTH_SIGNUP_ENABLED,
    throttle: {
      windowMs: config.AUTH_THROTTLE_WINDOW_SECONDS * 1000,
      pairFailures: config.AUTH_THROTTLE_PAIR_FAILURES,
      emailFailures: config.AUTH_THROTTLE_EMAIL_FAILURES,
      ipFailures: config.AUTH_THROTTLE_IP_FAILURES,
    },
    oidc:
      config.OIDC_ISSUER !== undefined &&
      config.OIDC_CLIENT_ID !== undefined &&
      config.OIDC_CLIENT_SECRET !== undefined &&
      config.OIDC_REDIRECT_URL !== undefined
        ? {
            issuer: config.OIDC_ISSUER,
            clientId: config.OIDC_CLIENT_ID,
            clientSecret: config.OIDC_CLIENT_SECRET,
            redirectUrl: config.OIDC_REDIRECT_URL,
            name: config.OIDC_NAME,
          }
        : null,
  };
}

/** Defaults for every setting, for tests and embedding: the same values the environment defaults give. */
export function defaultSettings(overrides: Partial<AuthSettings> = {}): AuthSettings {
  return { ...settingsFromEnv(authConfigSchema.parse({})), ...overrides };
}
