// Test harness: a real notification service on port 0 against PGlite (always) and PostgreSQL (when
// DATABASE_URL is set), access tokens signed as auth signs them and checked by auth's own verifier,
// and the service's real gRPC API.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import postgres from 'postgres';
import { createAccessTokenVerifier } from '@origo/auth';
import { createPrincipalResolver } from '@origo/control/access';
import { createGrpcClient, createLogger, unary } from '@origo/kit';
import {
  NotificationServiceClient,
  type EnqueueRequest,
  type EnqueueResponse,
} from '@origo/proto/notification-rpc';
import {
  createNotificationService,
  generateVapidKeys,
  openNotificationDatabase,
  type NotificationDatabase,
  type NotificationService,
  type NotificationServiceDeps,
  type NotificationSettings,
} from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;
const RUN_ID = randomBytes(4).toString('hex');
let counter = 0;

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<NotificationDatabase>;
  cleanup(): Promise<void>;
}

function pglite(): Backend {
  return {
    name: 'pglite',
    open: () => openNotificationDatabase({ dataDir: 'memory://' }),
    cleanup: async () => {},
  };
}

function postgresBackend(url: string): Backend {
  const created: string[] = [];
  return {
    name: 'postgres',
    open() {
      const service = `notification_t${RUN_ID}_${++counter}`;
      created.push(service);
      return openNotificationDatabase({ databaseUrl: url, service });
    },
    async cleanup() {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        for (const name of created.splice(0)) await admin`drop schema if exists ${admin(name)} cascade`;
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI, `npm run test:db`). */
export const backends: Backend[] = [
  pglite(),
  ...(DATABASE_URL !== undefined ? [postgresBackend(DATABASE_URL)] : []),
];

export interface TestUser {
  userId: string;
  email: string;
  name: string;
  superadmin?: boolean;
  /** Organization roles carried in the access token. */
  orgs?: Record<string, 'admin' | 'host' | 'member'>;
}

/** Signs access tokens the way auth does; its verifier is auth's own. */
export async function tokenIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const verifier = createAccessTokenVerifier({
    keySource: async () => ({ keys: [publicJwk] }),
    issuer: 'origo',
    audience: 'origo',
  });
  const sign = async (u: TestUser): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sid: `ses_${randomUUID()}`,
      email: u.email,
      name: u.name,
      ev: true,
      orgs: u.orgs ?? {},
      ...(u.superadmin ? { sa: true } : {}),
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer('origo')
      .setAudience('origo')
      .setSubject(u.userId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(privateKey as CryptoKey);
  };
  return { verifier, sign };
}

export function testUser(name: string, superadmin = false): TestUser {
  return {
    userId: `usr_${randomBytes(8).toString('hex')}`,
    email: `${name}.${randomBytes(3).toString('hex')}@example.com`,
    name,
    superadmin,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies ad hoc
export type ResponseBody = any;

/** A clock the test moves; starts at `start`. */
export class FakeClock {
  private at: number;
  constructor(start: Date) {
    this.at = start.getTime();
  }
  now = (): Date => new Date(this.at);
  set(date: Date): void {
    this.at = date.getTime();
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

export interface Harness {
  http: string;
  grpc: string;
  service: NotificationService;
  database: NotificationDatabase;
  client: NotificationServiceClient;
  enqueue(request: Partial<EnqueueRequest> & Pick<EnqueueRequest, 'params'>): Promise<EnqueueResponse>;
  call(
    user: TestUser | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: ResponseBody; headers: Headers }>;
  close(): Promise<void>;
}

export const UNSUBSCRIBE_SECRET = 'test-unsubscribe-secret-0123456789abcdef';

export async function startHarness(
  backend: Backend,
  options: {
    settings?: Partial<NotificationSettings>;
    deps?: Partial<Omit<NotificationServiceDeps, 'database' | 'resolvePrincipal' | 'settings'>>;
    grpcPort?: number;
  } = {},
): Promise<Harness> {
  const { verifier, sign: token } = await tokenIssuer();
  const database = await backend.open();
  const service = await createNotificationService({
    database,
    resolvePrincipal: createPrincipalResolver({ verifier }),
    unsubscribeSecret: UNSUBSCRIBE_SECRET,
    vapid: generateVapidKeys(),
    logger: createLogger({ service: 'notification', level: 'silent' }),
    ...options.deps,
    settings: {
      publicUrl: 'https://origo.test',
      retryBaseMs: 20,
      retryMaxMs: 200,
      pollIntervalMs: 200,
      schedulerIntervalMs: 0,
      ...options.settings,
    },
  });
  const bound = await service.listen({ httpPort: 0, grpcPort: options.grpcPort ?? 0 });
  const client = createGrpcClient(NotificationServiceClient, bound.grpc);

  return {
    http: bound.http,
    grpc: bound.grpc,
    service,
    database,
    client,
    enqueue: (request) =>
      unary(client.enqueue.bind(client), {
        idempotencyKey: `test:${randomUUID()}`,
        orgId: '',
        recipient: undefined,
        ...request,
      }),
    async call(u, method, path, body, headers = {}) {
      const sent: Record<string, string> = { ...headers };
      if (u !== null) sent['authorization'] = `Bearer ${await token(u)}`;
      if (body !== undefined && sent['content-type'] === undefined) sent['content-type'] = 'application/json';
      const response = await fetch(`${bound.http}${path}`, {
        method,
        headers: sent,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON; keep the text.
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      client.close();
      await service.close();
      await database.close();
    },
  };
}

export function recipient(r: Partial<{ userId: string; email: string; phone: string; displayName: string }>) {
  return { userId: '', email: '', phone: '', displayName: '', ...r };
}
