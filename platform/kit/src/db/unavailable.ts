// Which errors mean "the database cannot be reached right now" rather than "this query is wrong": a
// server that is down, restarting or refusing connections, a connection cut in the middle, a connect or
// statement timeout. Callers answer those with 503 and Retry-After (the client may simply try again);
// everything else stays a 500. No import of a driver: the errors are recognised by their shape, so this
// module loads without postgres.js or PGlite.

/** Socket errors of a server that is not there, or went away (Node's `code`). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** postgres.js connection errors (`errors.js`: connection(...)). */
const DRIVER_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATEs (PostgreSQL manual, Appendix A) that say nothing about the query: 57P01 admin_shutdown (the
 * server is stopping), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or in recovery),
 * 53300 too_many_connections, 57014 query_canceled (statement_timeout). Class 08 (connection exception)
 * is matched as a class.
 */
const SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/** node-postgres says these in the message only, with no code. */
const MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/];

/** Our own DatabaseConnectionError (the database could not be reached at open). */
const OWN_CODE = 'DATABASE_UNAVAILABLE';

function matches(err: object): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || DRIVER_CODES.has(code) || SQLSTATES.has(code) || code === OWN_CODE)
      return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    // Some other SQLSTATE: the server answered, so the query itself failed.
    if (/^[0-9A-Z]{5}$/.test(code)) return false;
  }
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * True when `err`, or an error it wraps (`cause`, as drizzle's DrizzleQueryError wraps the driver's; the
 * `errors` of an AggregateError, as Node's connect to several addresses reports), says the database is
 * unreachable, shutting down, starting up or timed out.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (matches(current)) return true;
    queue.push((current as { cause?: unknown }).cause);
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return false;
}
