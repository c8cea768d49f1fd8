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

/** SQLSTATE: five digits or upper-case letters (PostgreSQL, PGlite and postgres.js all carry it). */
const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_CAUSE_DEPTH = 5;

type ErrorRecord = Record<string, unknown>;

function stringField(source: ErrorRecord, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = source[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function isDatabaseError(err: ErrorRecord): boolean {
  return typeof err['code'] === 'string' && SQLSTATE.test(err['code']) && 'severity' in err;
}

/**
 * The message without values: a database error's text up to its first `: ` (PostgreSQL appends the
 * offending input there, `invalid input syntax for type uuid: "..."`), a failed-query error's text
 * without its `params:` line.
 */
function safeMessage(err: Error & ErrorRecord, database: boolean): string {
  const message = typeof err.message === 'string' ? err.message : '';
  if (database) {
    const colon = message.indexOf(': ');
    return colon === -1 ? message : message.slice(0, colon);
  }
  const params = message.indexOf('\nparams:');
  return params === -1 ? message : message.slice(0, params);
}

/** The stack frames only: the first lines of `stack` repeat the message, values included. */
function stackFrames(err: Error, header: string): string | undefined {
  if (typeof err.stack !== 'string') return undefined;
  const frames = err.stack.split('\n').filter((line) => line.trimStart().startsWith('at '));
  return [header, ...frames].join('\n');
}

/**
 * Serializes an error for the logs without the values it may carry: no query parameters (a failed
 * INSERT lists them, password hashes included), no `detail`/`where` of a database error (they quote
 * rows), no enumerable extras. Database errors keep code, schema, table, column and constraint; every
 * error keeps its type, message, stack frames and cause chain.
 */
export function serializeError(value: unknown, depth = 0): ErrorRecord {
  if (!(value instanceof Error)) {
    return { type: typeof value, message: typeof value === 'string' ? value : '[not an Error]' };
  }
  const err = value as Error & ErrorRecord;
  const database = isDatabaseError(err);
  const type = err.constructor.name === 'Error' ? err.name : err.constructor.name;
  const message = safeMessage(err, database);
  const out: ErrorRecord = { type, message };
  const stack = stackFrames(err, `${type}: ${message}`);
  if (stack !== undefined) out['stack'] = stack;
  if (database) {
    out['code'] = err['code'];
    const fields: Array<[string, string[]]> = [
      ['schema', ['schema', 'schema_name']],
      ['table', ['table', 'table_name']],
      ['column', ['column', 'column_name']],
      ['constraint', ['constraint', 'constraint_name']],
      ['routine', ['routine']],
    ];
    for (const [key, names] of fields) {
      const found = stringField(err, ...names);
      if (found !== undefined) out[key] = found;
    }
  } else {
    const code = err['code'];
    if (typeof code === 'string' || typeof code === 'number') out['code'] = code;
    for (const key of ['reason', 'syscall', 'errno', 'statusCode']) {
      const field = err[key];
      if (typeof field === 'string' || typeof field === 'number') out[key] = field;
    }
  }
  if (depth < MAX_CAUSE_DEPTH) {
    if (err.cause !== undefined) out['cause'] = serializeError(err.cause, depth + 1);
    if (err instanceof AggregateError && Array.isArray(err.errors)) {
      out['errors'] = (err.errors as unknown[]).slice(0, 5).map((e) => serializeError(e, depth + 1));
    }
  }
  return out;
}

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
    serializers: { err: (value: unknown) => serializeError(value) },
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
