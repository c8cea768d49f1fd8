// Shared test setup: the database backends (PGlite always, PostgreSQL when DATABASE_URL is set), an
// auth service in process, and a tiny cookie-keeping client over fastify's inject.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { desc, eq, sql } from 'drizzle-orm';
import type { Logger } from '@origo/kit';
import { EnqueueRequest } from '@origo/proto/notification-rpc';
import {
  createAuthService,
  openAuthDatabase,
  type AuthDatabase,
  type AuthService,
  type AuthSettings,
} from '../src/index.js';
import { SESSION_COOKIE } from '../src/cookies.js';
import { auditEvents, notificationRelay } from '../src/db/schema.js';
import type { Argon2Params } from '../src/password.js';

const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;
const RUN_ID = randomBytes(4).toString('hex');
let counter = 0;

/**
 * Tests lower the argon2 cost through the explicit `argon2` option only, so the suite stays fast on two
 * cores; production code always uses PRODUCTION_ARGON2 (m=19456 KiB, t=2, p=1).
 */
export const TEST_ARGON2: Argon2Params = { memoryCost: 256, timeCost: 1, parallelism: 1 };
export const KEK = 'test-key-encryption-key-0123456789abcdef';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<AuthDatabase>;
  cleanup(): Promise<void>;
}

function pglite(): Backend {
  return { name: 'pglite', open: () => openAuthDatabase({ dataDir: 'memory://' }), cleanup: async () => {} };
}

function postgresBackend(url: string): Backend {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    open() {
      const service = `auth_t${RUN_ID}_${++counter}`;
      schemas.push(service);
      return openAuthDatabase({ databaseUrl: url, service });
    },
    async cleanup() {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        for (const name of schemas.splice(0)) await admin`drop schema if exists ${admin(name)} cascade`;
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

export const backends: Backend[] = [
  pglite(),
  ...(DATABASE_URL !== undefined ? [postgresBackend(DATABASE_URL)] : []),
];

export interface Harness {
  service: AuthService;
  database: AuthDatabase;
  clock: { advance(ms: number): void; now(): Date };
  close(): Promise<void>;
}

export async function startAuth(
  backend: Backend,
  settings: Partial<AuthSettings> = {},
  extra: { logger?: Logger } = {},
): Promise<Harness> {
  const database = await backend.open();
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const service = await createAuthService({
    database,
    keyEncryptionKey: KEK,
    argon2: TEST_ARGON2,
    now,
    trustProxy: true,
    ...(extra.logger === undefined ? {} : { logger: extra.logger }),
    settings: { cookieSecure: true, publicUrl: 'https://origo.test', ...settings },
  });
  return {
    service,
    database,
    clock: {
      advance(ms) {
        offset += ms;
      },
      now,
    },
    async close() {
      await service.close();
      await database.close();
    },
  };
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A browser: keeps the session cookie, comes from one IP (X-Forwarded-For; the service trusts it). */
export class Browser {
  cookie: string | undefined;
  bearer: string | undefined;

  constructor(
    private readonly service: AuthService,
    readonly ip = randomIp(),
  ) {}

  async request(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const sent: Record<string, string> = { 'x-forwarded-for': this.ip, ...headers };
    if (this.cookie !== undefined) sent['cookie'] = `${SESSION_COOKIE}=${this.cookie}`;
    if (this.bearer !== undefined) sent['authorization'] = `Bearer ${this.bearer}`;
    const response = await this.service.app.inject({
      method: method as 'GET',
      url,
      headers: sent,
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? { payload: body }
          : { payload: body as object }),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const match = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(line);
      if (match) this.cookie = match[1] === '' ? undefined : match[1];
    }
    let parsed: Record<string, unknown> = {};
    if (response.body !== '') {
      try {
        parsed = JSON.parse(response.body) as Record<string, unknown>;
      } catch {
        parsed = { raw: response.body };
      }
    }
    return { status: response.statusCode, body: parsed, headers: response.headers };
  }

  get = (url: string, headers?: Record<string, string>) => this.request('GET', url, undefined, headers);
  post = (url: string, body?: unknown, headers?: Record<string, string>) =>
    this.request('POST', url, body ?? {}, headers);
}

/** A random documentation-range address, so unrelated tests never share a throttling bucket. */
export function randomIp(): string {
  const b = randomBytes(2);
  return `198.18.${b[0] ?? 0}.${b[1] ?? 1}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}.${randomBytes(5).toString('hex')}@example.com`;
}

export const GOOD_PASSWORD = 'correct horse battery staple';

export async function signUp(
  service: AuthService,
  options: { email?: string; password?: string; name?: string; ip?: string } = {},
): Promise<{ browser: Browser; email: string; userId: string; orgId: string }> {
  const browser = new Browser(service, options.ip);
  const email = options.email ?? uniqueEmail();
  const response = await browser.post('/api/auth/sign-up', {
    email,
    password: options.password ?? GOOD_PASSWORD,
    displayName: options.name ?? 'Test User',
  });
  if (response.status !== 201)
    throw new Error(`sign-up failed: ${response.status} ${JSON.stringify(response.body)}`);
  const user = response.body['user'] as { id: string };
  return { browser, email, userId: user.id, orgId: response.body['organizationId'] as string };
}

export async function signIn(
  service: AuthService,
  email: string,
  ip?: string,
  password = GOOD_PASSWORD,
): Promise<Browser> {
  const browser = new Browser(service, ip);
  const response = await browser.post('/api/auth/sign-in', { email, password });
  if (response.status !== 200)
    throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
  return browser;
}

export async function auditCount(database: AuthDatabase): Promise<number> {
  const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
  return row?.n ?? 0;
}

/**
 * The token inside the newest mail to `to` of the given kind that auth handed to its notification relay
 * (the link the notification service will render into the mail).
 */
export async function tokenFromOutbox(
  service: AuthService,
  to: string,
  kind: 'passwordReset' | 'emailVerification',
): Promise<string> {
  const rows = await service.database.db
    .select()
    .from(notificationRelay)
    .where(eq(notificationRelay.rpc, 'enqueue'))
    .orderBy(desc(notificationRelay.createdAt));
  for (const row of rows) {
    const request = EnqueueRequest.fromJSON(row.payload);
    if (request.recipient?.email !== to || request.params?.$case !== kind) continue;
    const token = /#token=([a-z2-7]+)/.exec(request.params.value.actionUrl)?.[1];
    if (token !== undefined) return token;
  }
  throw new Error(`no ${kind} mail to ${to}`);
}
