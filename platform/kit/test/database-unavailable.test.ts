// A database that cannot be reached is the service being unavailable, not a bug: callers get 503 with
// Retry-After over HTTP and UNAVAILABLE over gRPC (which signaling retries), and the logs do not call it
// an unhandled error. Errors about the query itself stay INTERNAL (issue 11, PostgreSQL outage).
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { DatabaseConnectionError, isDatabaseUnavailable } from '../src/db/index.js';
import { reconnectBackoffSeconds } from '../src/db/open.js';
import {
  AppError,
  createHttpService,
  createLogger,
  createMetrics,
  toAppError,
  toGrpcError,
} from '../src/index.js';
import { captureLogs } from '../src/testing/index.js';

/** A driver error as postgres.js builds it: an Error with a SQLSTATE or connection code. */
const coded = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code });
/** As drizzle wraps it: "Failed query: ..." with the driver's error as cause. */
const wrapped = (cause: unknown) => new Error('Failed query: select 1\nparams: ', { cause });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('a database that cannot be reached', () => {
  it.each([
    ['connection refused', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection reset', coded('ECONNRESET')],
    ['connect timeout (postgres.js)', coded('CONNECT_TIMEOUT')],
    ['connection closed (postgres.js)', coded('CONNECTION_CLOSED')],
    ['pool ended (postgres.js)', coded('CONNECTION_ENDED')],
    ['admin shutdown 57P01', coded('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown 57P02', coded('57P02')],
    ['cannot connect now 57P03', coded('57P03', 'the database system is starting up')],
    ['too many connections 53300', coded('53300')],
    ['statement timeout 57014', coded('57014', 'canceling statement due to statement timeout')],
    ['connection failure 08006', coded('08006')],
    ['connection does not exist 08003', coded('08003')],
    ['node-postgres termination', new Error('Connection terminated unexpectedly')],
    ['node-postgres connect timeout', new Error('timeout exceeded when trying to connect')],
    ['refused on every address', new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')])],
    ['unreachable at open', new DatabaseConnectionError('DATABASE_URL: cannot connect to postgres://db')],
  ])('%s becomes UNAVAILABLE (503) with a detail naming the database', (_name, driverError) => {
    for (const err of [driverError, wrapped(driverError)]) {
      expect(isDatabaseUnavailable(err)).toBe(true);
      const error = toAppError(err);
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.httpStatus).toBe(503);
      expect(error.reason).toBe('database_unavailable');
      expect(error.message).toBe('The database is unavailable; try again shortly');
      expect(error.retryAfterSeconds).toBe(5);
    }
  });

  it.each([
    ['unique violation 23505', coded('23505', 'duplicate key value violates unique constraint')],
    ['undefined table 42P01', coded('42P01')],
    ['syntax error 42601', coded('42601')],
    ['invalid text 22P02', coded('22P02')],
    ['a plain error', new Error('something broke')],
    ['a message that only mentions a refusal', new Error('upstream said ECONNREFUSED')],
    ['an unrelated system error', coded('ENOENT')],
    ['no error at all', 'ECONNREFUSED'],
  ])('%s stays INTERNAL', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(isDatabaseUnavailable(wrapped(err))).toBe(false);
    expect(toAppError(wrapped(err)).code).toBe('INTERNAL');
  });

  it('does not loop on an error that is its own cause', () => {
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('recognises what drizzle over postgres.js really throws when nothing listens', async () => {
    const client = postgres(`postgres://origo@127.0.0.1:${await closedPort()}/origo`, {
      max: 1,
      connect_timeout: 2,
      backoff: reconnectBackoffSeconds,
      onnotice: () => {},
    });
    try {
      const err = await drizzle({ client })
        .execute(sql`select 1`)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(Error);
      expect(toAppError(err).code).toBe('UNAVAILABLE');
    } finally {
      await client.end({ timeout: 0 });
    }
  });

  it('answers 503 problem+json with Retry-After over HTTP and logs no unhandled error', async () => {
    const logs = captureLogs();
    const http = createHttpService({
      service: 'db-down',
      logger: createLogger({ service: 'db-down', destination: logs.destination }),
      metrics: createMetrics('db-down', { defaultMetrics: false }),
    });
    http.app.get('/meetings', async () => {
      throw wrapped(coded('57P01', 'terminating connection due to administrator command'));
    });
    http.app.get('/broken', async () => {
      throw wrapped(coded('42P01', 'relation "meetings" does not exist'));
    });
    const { url } = await http.listen(0);
    try {
      const down = await fetch(`${url}/meetings`);
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(await down.json()).toMatchObject({
        status: 503,
        code: 'UNAVAILABLE',
        reason: 'database_unavailable',
        detail: 'The database is unavailable; try again shortly',
      });
      const broken = await fetch(`${url}/broken`);
      expect(broken.status).toBe(500);
      expect(broken.headers.get('retry-after')).toBeNull();
      const unhandled = logs.lines().filter((line) => line['msg'] === 'unhandled error in request');
      expect(unhandled).toHaveLength(1);
      expect(JSON.stringify(unhandled[0])).toContain('42P01');
    } finally {
      await http.close();
    }
  });

  it('gives every other 503 problem a Retry-After, and keeps one the error names', async () => {
    const http = createHttpService({
      service: 'later',
      logger: createLogger({ service: 'later', level: 'silent' }),
      metrics: createMetrics('later', { defaultMetrics: false }),
    });
    http.app.get('/default', async () => {
      throw AppError.unavailable('The auth service is unreachable');
    });
    http.app.get('/named', async () => {
      throw new AppError('UNAVAILABLE', 'Busy', { retryAfterSeconds: 30 });
    });
    const { url } = await http.listen(0);
    try {
      expect((await fetch(`${url}/default`)).headers.get('retry-after')).toBe('5');
      expect((await fetch(`${url}/named`)).headers.get('retry-after')).toBe('30');
    } finally {
      await http.close();
    }
  });

  it('answers UNAVAILABLE over gRPC with the detail, which callers retry on', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'grpc-db-down', destination: logs.destination });
    const status = toGrpcError(wrapped(coded('ECONNREFUSED')), logger, '/x.Y/Z');
    expect(status.code).toBe(14);
    expect(status.details).toBe('The database is unavailable; try again shortly');
    expect(logs.lines()).toEqual([]);
  });
});

describe('reconnect backoff of the PostgreSQL pool', () => {
  it('starts small and never waits more than a second between attempts', () => {
    for (let failures = 0; failures <= 40; failures++) {
      const seconds = reconnectBackoffSeconds(failures);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(1);
    }
    expect(reconnectBackoffSeconds(1)).toBeLessThanOrEqual(0.05);
  });
});
