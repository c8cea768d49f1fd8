import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Service configuration comes from environment variables only. Each service declares a zod object whose
 * keys are the variable names; `loadConfig` validates them and fails with one line naming the variable.
 */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  // Empty strings count as unset, as shells and Kubernetes manifests often produce them.
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue ? String(issue.path[0] ?? '(config)') : '(config)';
  const provided = input[variable];
  const problem =
    issue?.code === 'invalid_type' && provided === undefined
      ? 'is required but not set'
      : `is invalid: ${issue?.message ?? 'bad value'}${provided !== undefined && !looksSecret(variable) ? ` (got "${truncate(provided)}")` : ''}`;
  throw new ConfigError(variable, problem);
}

function looksSecret(variable: string): boolean {
  return /SECRET|PASSWORD|TOKEN|KEY|URL/i.test(variable);
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}...` : value;
}

/** Field helpers shared by every service schema. */
export const env = {
  port: (fallback?: number) => {
    const base = z.coerce
      .number({ error: 'must be a port number' })
      .int('must be an integer port number')
      .min(0, 'must be between 0 and 65535')
      .max(65535, 'must be between 0 and 65535');
    return fallback === undefined ? base : base.default(fallback);
  },
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  url: (protocols: string[]) =>
    z.string().refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    ),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((value) => value === 'true' || value === '1' || value === 'yes')
      .default(fallback),
  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  list: () =>
    z.string().transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    ),
};

/** Variables every role reads. */
export const commonConfigSchema = z.object({
  // Absolute from here on: a relative folder would mean something else to every tool a role hands a path
  // to from another working directory (FFmpeg reads a concat list's paths relative to the list's folder).
  ORIGO_DATA: z
    .string()
    .default('./data')
    .transform((path) => resolve(path)),
  LOG_LEVEL: env.logLevel(),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url(['http', 'https']).optional(),
  DATABASE_URL: env.url(['postgres', 'postgresql']).optional(),
  REDIS_URL: env.url(['redis', 'rediss']).optional(),
});
export type CommonConfig = z.infer<typeof commonConfigSchema>;
