import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequestContext } from './context.js';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'sessionToken',
  'secret',
  'clientSecret',
  'credential',
  'authorization',
  'cookie',
  'set-cookie',
];

/**
 * Redaction paths: secrets at the top level and up to two levels down, and the HTTP headers that carry
 * them. pino's wildcard matches one level, so the depths are spelled out.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS.map((k) => `["${k}"]`),
  ...SECRET_KEYS.map((k) => `*["${k}"]`),
  ...SECRET_KEYS.map((k) => `*.*["${k}"]`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerConfig {
  service: string;
  level?: string;
  /** Tests pass a stream to read the JSON lines back. */
  destination?: DestinationStream;
}

/**
 * JSON logs (pino) carrying `service`, and `request_id` / `trace_id` / `span_id` of the work in progress,
 * read from the request context and the active OpenTelemetry span.
 */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const fields: Record<string, string> = {};
      const ctx = currentRequestContext();
      if (ctx) fields['request_id'] = ctx.requestId;
      const span = trace.getActiveSpan();
      if (span) {
        const sc = span.spanContext();
        if (sc.traceId !== '00000000000000000000000000000000') {
          fields['trace_id'] = sc.traceId;
          fields['span_id'] = sc.spanId;
        }
      }
      return fields;
    },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
