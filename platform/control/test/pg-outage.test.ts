// Issue 11, "Failures a meeting must survive": PostgreSQL stops for 60 s (PG_OUTAGE_MS overrides it for a
// quicker local run) under control and auth, wired as their roles wire them: control asks auth over HTTP
// who a session cookie belongs to, and verifies access tokens with auth's keys. During the outage every
// REST call a signed-in user makes (list meetings, create one, get a join token, sign in) answers 503
// application/problem+json with a detail naming the cause and a Retry-After header, each within 10 s;
// the gRPC calls signaling makes (RefreshJoinToken, ReportRoomEvent) answer UNAVAILABLE, the code
// signaling retries on; nothing is logged as an unhandled error and the process sees no unhandled
// rejection. Within 10 s of PostgreSQL accepting connections again REST works again (the time is
// printed), the meeting created before is still there, and the user who kept trying to sign in during
// the outage is not locked out afterwards.
//
// Media is not part of this test because it never touches PostgreSQL: the SFU keeps no database, and
// signaling holds rooms and participants in its store (memory or Redis). Signaling needs control only for
// the join-token public keys (served from memory), to renew join tokens (retried every 10 s; a joined
// socket is never closed for a failed renewal) and to report room events (sent in the background and
// retried). The UNAVAILABLE answers below are what keep those retries going.
//
// The test starts a PostgreSQL cluster of its own (a temp dir, a free loopback port) and stops only
// that one. It belongs to the db suite: it runs with DATABASE_URL set (npm run test:db, as CI does) and
// needs PostgreSQL's server binaries; without either it is skipped and says why.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccessTokenVerifier,
  createAuthService,
  createHttpAuthClient,
  openAuthDatabase,
  type AuthService,
} from '@origo/auth';
import {
  createGrpcClient,
  createGrpcServer,
  createLogger,
  createMetrics,
  generateEd25519Jwk,
  unary,
  type AppError,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import {
  captureLogs,
  postgresClusterUnavailable,
  waitFor,
  startPostgresCluster,
  type PostgresCluster,
} from '@origo/kit/testing';
import { ControlServiceClient, RoomEventType } from '@origo/proto/control-rpc';
import { NotificationServiceService } from '@origo/proto/notification-rpc';
import {
  createAuthSessionLookup,
  createControlService,
  createPrincipalResolver,
  openControlDatabase,
  type ControlService,
} from '../src/index.js';
import { DATABASE_URL, type ResponseBody } from './helpers.js';

const OUTAGE_MS = Number(process.env['PG_OUTAGE_MS'] || 60_000);
if (!Number.isFinite(OUTAGE_MS) || OUTAGE_MS <= 0)
  throw new TypeError(
    `PG_OUTAGE_MS must be a positive number of milliseconds, got ${process.env['PG_OUTAGE_MS']}`,
  );
/** Longest a call may take while the database is down. */
const REQUEST_BOUND_MS = 10_000;
/** From PostgreSQL accepting connections to REST answering again. */
const RECOVERY_BOUND_MS = 10_000;
const PROBE_PERIOD_MS = 1000;
const PUBLIC_URL = 'http://origo.test';
const PASSWORD = 'correct horse battery staple';

const skipReason =
  DATABASE_URL === undefined
    ? 'it belongs to the db suite (npm run test:db, with DATABASE_URL set)'
    : postgresClusterUnavailable();
if (skipReason !== undefined) process.stdout.write(`pg-outage: skipped: ${skipReason}\n`);

interface Reply {
  status: number;
  body: ResponseBody;
  headers: Headers;
  ms: number;
}

/** fetch with a deadline; a call that does not answer in time rejects with a message saying so. */
async function call(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const started = performance.now();
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
  } catch (err) {
    const ms = Math.round(performance.now() - started);
    throw new Error(`${init.method ?? 'GET'} ${url}: no answer after ${ms} ms (${String(err)})`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON; keep the text for the message.
  }
  return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
}

/** What is wrong with an outage answer, or undefined when it is the 503 problem a client can act on. */
function notAnOutageProblem(reply: Reply): string | undefined {
  const type = reply.headers.get('content-type') ?? '';
  const retryAfter = reply.headers.get('retry-after');
  const body = reply.body as { status?: unknown; code?: unknown; detail?: unknown } | undefined;
  if (reply.status !== 503) return `HTTP ${reply.status} ${JSON.stringify(reply.body)}`;
  if (!type.startsWith('application/problem+json')) return `content-type ${type}`;
  if (body?.status !== 503 || body.code !== 'UNAVAILABLE') return `problem ${JSON.stringify(body)}`;
  if (typeof body.detail !== 'string' || !/database/i.test(body.detail))
    return `detail ${String(body.detail)}`;
  if (retryAfter === null || !/^[1-9]\d*$/.test(retryAfter)) return `Retry-After ${String(retryAfter)}`;
  if (reply.ms > REQUEST_BOUND_MS) return `answered after ${Math.round(reply.ms)} ms`;
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipReason !== undefined)(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s`, () => {
  let cluster: PostgresCluster | undefined;
  const teardown: Array<() => Promise<void>> = [];
  const logs = captureLogs();
  const authLogger = createLogger({ service: 'auth', level: 'warn', destination: logs.destination });
  const logger = createLogger({ service: 'control', level: 'warn', destination: logs.destination });
  const unhandled: string[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(String(err));

  let auth: AuthService;
  let control: ControlService;
  let authUrl: string;
  let controlUrl: string;
  let grpc: ControlServiceClient;
  /** Meetings whose reminder schedule control's notification relay handed over. */
  const schedules: string[] = [];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    cluster = await startPostgresCluster();

    const authDb = await openAuthDatabase({ databaseUrl: cluster.url, logger: authLogger });
    teardown.push(() => authDb.close());
    auth = await createAuthService({
      database: authDb,
      keyEncryptionKey: randomBytes(32).toString('hex'),
      // Tests lower the argon2 cost (see platform/auth/test/helpers.ts); production uses its own.
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      settings: { cookieSecure: false, publicUrl: PUBLIC_URL },
      logger: authLogger,
    });
    teardown.push(() => auth.close());
    authUrl = (await auth.listen(0, '127.0.0.1')).url;

    // As controlRole wires it: access tokens checked with auth's published keys, cookies asked of auth.
    const verifier = createAccessTokenVerifier({
      keySource: async () => {
        const response = await fetch(`${authUrl}/.well-known/jwks.json`, {
          signal: AbortSignal.timeout(5000),
        });
        if (!response.ok) throw new Error(`JWKS fetch failed with HTTP ${response.status}`);
        return (await response.json()) as { keys: never[] };
      },
      issuer: auth.settings.issuer,
      audience: auth.settings.audience,
    });
    const authClient = createHttpAuthClient({ baseUrl: authUrl });
    const controlDb = await openControlDatabase({ databaseUrl: cluster.url, logger });
    teardown.push(() => controlDb.close());
    const busKv = await createBusKv({ logger });
    teardown.push(() => busKv.close());
    // The notification service, so control's relay (a poller over its own table) runs through the outage.
    const notification = createGrpcServer({
      service: 'notification',
      logger,
      metrics: createMetrics('notification', { defaultMetrics: false }),
    });
    notification.add(NotificationServiceService, {
      enqueue: async () => ({
        notificationId: randomBytes(8).toString('hex'),
        duplicate: false,
        channels: [],
      }),
      setReminderSchedule: async (request) => {
        schedules.push(request.schedule?.meetingId ?? '');
        return { applied: true };
      },
      cancelReminderSchedule: async () => ({ applied: true }),
    });
    const notificationAddress = `127.0.0.1:${await notification.listen('127.0.0.1', 0)}`;
    teardown.push(() => notification.shutdown(500));
    control = await createControlService({
      database: controlDb,
      busKv,
      joinTokenKey: generateEd25519Jwk(),
      resolvePrincipal: createPrincipalResolver({
        verifier,
        sessionLookup: createAuthSessionLookup({ client: async () => authClient, publicUrl: PUBLIC_URL }),
      }),
      settings: { publicUrl: PUBLIC_URL },
      logger,
      notificationTarget: async () => notificationAddress,
    });
    teardown.push(() => control.close());
    const bound = await control.listen({ httpPort: 0, grpcPort: 0 });
    controlUrl = bound.http;
    grpc = createGrpcClient(ControlServiceClient, bound.grpc);
    teardown.push(async () => grpc.close());
  });

  afterAll(async () => {
    for (const step of teardown.reverse()) {
      await step().catch((err: unknown) => process.stdout.write(`pg-outage: teardown: ${String(err)}\n`));
    }
    await cluster?.destroy();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it(
    'REST answers 503 problem+json with Retry-After within 10 s during the outage and recovers within 10 s after it',
    async () => {
      const pg = cluster!;
      // A signed-in user with a meeting and a join token, before the outage.
      const email = `outage.${randomBytes(4).toString('hex')}@example.com`;
      const signUp = await call(`${authUrl}/api/auth/sign-up`, {
        method: 'POST',
        body: { email, password: PASSWORD, displayName: 'Ada', organizationName: 'Analytical' },
      });
      expect(signUp.status, JSON.stringify(signUp.body)).toBe(201);
      const orgId = (signUp.body as { organizationId: string }).organizationId;
      const cookieLine = signUp.headers.getSetCookie().find((line) => /^[^=]+=[^;]+/.test(line));
      const cookie = { cookie: cookieLine!.split(';')[0]! };
      const minted = await call(`${authUrl}/api/auth/token`, { method: 'POST', body: {}, headers: cookie });
      expect(minted.status, JSON.stringify(minted.body)).toBe(200);
      const bearer = { authorization: `Bearer ${(minted.body as { accessToken: string }).accessToken}` };

      const created = await call(`${controlUrl}/api/meetings`, {
        method: 'POST',
        body: { org_id: orgId, title: 'Before the outage' },
        headers: { ...cookie, 'idempotency-key': randomBytes(8).toString('hex') },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const meetingId = (created.body as { id: string }).id;
      const joined = await call(`${controlUrl}/api/meetings/${meetingId}/join`, {
        method: 'POST',
        body: {},
        headers: cookie,
      });
      expect(joined.status, JSON.stringify(joined.body)).toBe(200);
      const joinToken = (joined.body as { token: string }).token;
      // An API client that used its access token before: control holds auth's keys from then on.
      const listed = await call(`${controlUrl}/api/meetings?org_id=${orgId}`, { headers: bearer });
      expect(listed.status, JSON.stringify(listed.body)).toBe(200);

      // The calls a user makes, with the session cookie (the web client) and the access token (API
      // clients), and the calls signaling makes.
      let attempt = 0;
      const rest: Array<{ name: string; run: () => Promise<Reply> }> = [];
      for (const [who, credential] of [
        ['cookie', cookie],
        ['bearer', bearer],
      ] as const) {
        rest.push(
          {
            name: `list meetings (${who})`,
            run: () => call(`${controlUrl}/api/meetings?org_id=${orgId}`, { headers: credential }),
          },
          {
            name: `create meeting (${who})`,
            run: () =>
              call(`${controlUrl}/api/meetings`, {
                method: 'POST',
                body: { org_id: orgId, title: `During the outage ${++attempt}` },
                headers: { ...credential, 'idempotency-key': randomBytes(8).toString('hex') },
              }),
          },
          {
            name: `join token (${who})`,
            run: () =>
              call(`${controlUrl}/api/meetings/${meetingId}/join`, {
                method: 'POST',
                body: {},
                headers: credential,
              }),
          },
        );
      }
      rest.push({
        name: 'sign in',
        run: () =>
          call(`${authUrl}/api/auth/sign-in`, { method: 'POST', body: { email, password: PASSWORD } }),
      });
      const grpcCalls: Array<{ name: string; run: () => Promise<unknown> }> = [
        {
          name: 'RefreshJoinToken',
          run: () => unary(grpc.refreshJoinToken.bind(grpc), { token: joinToken }, { deadlineMs: 10_000 }),
        },
        {
          name: 'ReportRoomEvent',
          run: () =>
            unary(
              grpc.reportRoomEvent.bind(grpc),
              {
                eventId: randomBytes(8).toString('hex'),
                roomName: meetingId,
                roomSid: 'RM_outage',
                type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
                participantName: '',
                occurredAtMs: Date.now(),
                participantIdentity: '',
                participantCount: 0,
                reason: '',
                bytesSent: 0,
              },
              { deadlineMs: 10_000 },
            ),
        },
      ];

      const failures = new Map<string, string>();
      const fail = (name: string, what: string) => {
        if (!failures.has(name)) failures.set(name, what);
      };
      let probes = 0;
      const slowest = { ms: 0, name: '' };
      const took = (name: string, ms: number) => {
        if (ms > slowest.ms) Object.assign(slowest, { ms, name });
      };

      await pg.stop();
      const outageEnds = Date.now() + OUTAGE_MS;
      while (Date.now() < outageEnds) {
        const round = Date.now();
        await Promise.all([
          ...rest.map(async (probe) => {
            try {
              const reply = await probe.run();
              took(probe.name, reply.ms);
              const wrong = notAnOutageProblem(reply);
              if (wrong !== undefined) fail(probe.name, wrong);
            } catch (err) {
              fail(probe.name, String(err));
            } finally {
              probes += 1;
            }
          }),
          ...grpcCalls.map(async (probe) => {
            const started = performance.now();
            try {
              await probe.run();
              fail(probe.name, 'succeeded while the database was down');
            } catch (err) {
              const code = (err as AppError).code;
              if (code !== 'UNAVAILABLE') fail(probe.name, `${code}: ${(err as Error).message}`);
            } finally {
              took(probe.name, performance.now() - started);
              probes += 1;
            }
          }),
        ]);
        await sleep(Math.max(0, Math.min(round + PROBE_PERIOD_MS, outageEnds) - Date.now()));
      }
      // Load balancers take control out of rotation, and do not restart it.
      expect((await call(`${controlUrl}/health/ready`)).status).toBe(503);
      expect((await call(`${controlUrl}/health/live`)).status).toBe(200);

      const startIssued = performance.now();
      await pg.start();
      const accepting = performance.now();
      let recoveredAt: number | undefined;
      while (performance.now() - accepting < RECOVERY_BOUND_MS + 5000) {
        const [byCookie, byBearer] = await Promise.all([
          call(`${controlUrl}/api/meetings?org_id=${orgId}`, { headers: cookie }).catch(() => undefined),
          call(`${controlUrl}/api/meetings?org_id=${orgId}`, { headers: bearer }).catch(() => undefined),
        ]);
        if (byCookie?.status === 200 && byBearer?.status === 200) {
          recoveredAt = performance.now();
          break;
        }
        await sleep(100);
      }
      const recoveryMs = recoveredAt === undefined ? undefined : Math.round(recoveredAt - accepting);
      process.stdout.write(
        `pg-outage: outage ${OUTAGE_MS} ms, ${probes} calls, slowest answer ${Math.round(slowest.ms)} ms ` +
          `(${slowest.name}); ` +
          `REST answered again ${recoveryMs ?? 'never'} ms after PostgreSQL accepted connections ` +
          `(${Math.round(accepting - startIssued)} ms start)\n`,
      );

      expect(Object.fromEntries(failures), 'calls that did not answer 503/UNAVAILABLE in time').toEqual({});
      expect(slowest.ms, `slowest call: ${slowest.name}`).toBeLessThanOrEqual(REQUEST_BOUND_MS);
      expect(recoveryMs, `REST did not recover; server log:\n${pg.logTail()}`).toBeDefined();
      expect(recoveryMs!).toBeLessThanOrEqual(RECOVERY_BOUND_MS);

      // Everything works again, and nothing from before is lost.
      const before = await call(`${controlUrl}/api/meetings/${meetingId}`, { headers: cookie });
      expect(before.status).toBe(200);
      expect((before.body as { title: string }).title).toBe('Before the outage');
      const after = await call(`${controlUrl}/api/meetings`, {
        method: 'POST',
        body: { org_id: orgId, title: 'After the outage' },
        headers: { ...bearer, 'idempotency-key': randomBytes(8).toString('hex') },
      });
      expect(after.status, JSON.stringify(after.body)).toBe(201);
      // The relay survived the outage: a new scheduled meeting's reminders reach the notification service.
      const scheduled = await call(`${controlUrl}/api/meetings`, {
        method: 'POST',
        body: {
          org_id: orgId,
          title: 'Scheduled after',
          starts_at: new Date(Date.now() + 86_400_000).toISOString(),
        },
        headers: { ...cookie, 'idempotency-key': randomBytes(8).toString('hex') },
      });
      expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(201);
      const scheduledId = (scheduled.body as { id: string }).id;
      await waitFor(() => schedules.includes(scheduledId), {
        timeoutMs: 10_000,
        what: "the scheduled meeting's reminders at the notification service",
      });
      const rejoined = await call(`${controlUrl}/api/meetings/${meetingId}/join`, {
        method: 'POST',
        body: {},
        headers: cookie,
      });
      expect(rejoined.status, JSON.stringify(rejoined.body)).toBe(200);
      const signIn = await call(`${authUrl}/api/auth/sign-in`, {
        method: 'POST',
        body: { email, password: PASSWORD },
      });
      expect(signIn.status, `sign-in after the outage: ${JSON.stringify(signIn.body)}`).toBe(200);
      const renewed = await unary(
        grpc.refreshJoinToken.bind(grpc),
        { token: joinToken },
        { deadlineMs: 10_000 },
      );
      expect(renewed.token).not.toBe('');
      expect((await call(`${controlUrl}/health/ready`)).status).toBe(200);

      const unhandledLogs = logs
        .lines()
        .filter((line) => /unhandled/i.test(String(line['msg'])))
        .map((line) => `${String(line['service'])}: ${String(line['msg'])}`);
      expect(unhandledLogs, 'errors logged as unhandled').toEqual([]);
      expect(unhandled, 'unhandled rejections or exceptions').toEqual([]);
    },
    OUTAGE_MS + 180_000,
  );
});
