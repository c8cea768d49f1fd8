// Test harness: a real control service on port 0 against PGlite (always) and PostgreSQL (when
// DATABASE_URL is set), with access tokens signed the way auth signs them and verified through auth's
// own verifier.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import postgres from 'postgres';
import { createAccessTokenVerifier, type OrgRole } from '@origo/auth';
import { createLogger, generateEd25519Jwk } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import {
  createControlService,
  createPrincipalResolver,
  openControlDatabase,
  type ControlDatabase,
  type ControlService,
  type ControlServiceDeps,
  type ControlSettings,
  type MemberDirectory,
} from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;
export const REDIS_URL = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL;
const RUN_ID = randomBytes(4).toString('hex');

export interface Backend {
  name: 'pglite' | 'postgres';
  open(label: string): Promise<ControlDatabase>;
  cleanup(): Promise<void>;
}

function pglite(): Backend {
  return {
    name: 'pglite',
    open: (label) => openControlDatabase({ dataDir: 'memory://', service: `t${RUN_ID}_${label}` }),
    cleanup: async () => {},
  };
}

function postgresBackend(url: string): Backend {
  const created: string[] = [];
  return {
    name: 'postgres',
    open(label) {
      const service = `t${RUN_ID}_${label}`;
      created.push(service);
      return openControlDatabase({ databaseUrl: url, service });
    },
    async cleanup() {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        for (const name of created) await admin`drop schema if exists ${admin(name)} cascade`;
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI). */
export const backends: Backend[] = [
  pglite(),
  ...(DATABASE_URL !== undefined ? [postgresBackend(DATABASE_URL)] : []),
];

const newId = (prefix: string) => `${prefix}_${randomBytes(16).toString('base64url')}`;

export interface TestUser {
  userId: string;
  email: string;
  name: string;
  orgs: Record<string, OrgRole>;
  superadmin?: boolean;
}

export const ISSUER = 'origo';
export const AUDIENCE = 'origo';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies ad hoc
export type ResponseBody = any;

export interface Harness {
  url: string;
  grpc: string;
  service: ControlService;
  database: ControlDatabase;
  busKv: BusKv;
  joinKey: JWK;
  orgA: string;
  orgB: string;
  users: {
    admin: TestUser;
    host: TestUser;
    /** A second host of org A who does not own the test meetings. */
    otherHost: TestUser;
    member: TestUser;
    guest: TestUser;
    outsider: TestUser;
  };
  token(user: TestUser): Promise<string>;
  /** fetch against the service with the user's Bearer token (or none for anonymous). */
  call(
    user: TestUser | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: ResponseBody; headers: Headers }>;
  close(): Promise<void>;
}

export async function startHarness(
  backend: Backend,
  label: string,
  settings: Partial<ControlSettings> = {},
  extra: Pick<ControlServiceDeps, 'billing' | 'clock'> = {},
): Promise<Harness> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const verifier = createAccessTokenVerifier({
    keySource: async () => ({ keys: [publicJwk] }),
    issuer: ISSUER,
    audience: AUDIENCE,
  });

  const orgA = newId('org');
  const orgB = newId('org');
  const user = (name: string, orgs: Record<string, OrgRole>): TestUser => ({
    userId: newId('usr'),
    email: `${name}@example.com`,
    name: name[0]!.toUpperCase() + name.slice(1),
    orgs,
  });
  const users = {
    admin: user('admin', { [orgA]: 'admin' }),
    host: user('host', { [orgA]: 'host' }),
    otherHost: user('otherhost', { [orgA]: 'host' }),
    member: user('member', { [orgA]: 'member' }),
    guest: user('guest', {}),
    outsider: user('outsider', { [orgB]: 'admin' }),
  };

  // Auth's member directory, as auth would answer it for these users.
  const memberDirectory: MemberDirectory = async (orgId) =>
    Object.values(users)
      .filter((u) => u.orgs[orgId] !== undefined)
      .map((u) => ({ userId: u.userId, displayName: u.name }));

  const database = await backend.open(label);
  const busKv = await createBusKv({ redisUrl: REDIS_URL, namespace: `t${RUN_ID}${label}:` });
  const joinKeyText = generateEd25519Jwk();
  const service = await createControlService({
    database,
    busKv,
    joinTokenKey: joinKeyText,
    resolvePrincipal: createPrincipalResolver({ verifier }),
    memberDirectory,
    settings: { publicUrl: 'http://origo.test', ...settings },
    logger: createLogger({ service: 'control', level: 'silent' }),
    ...extra,
  });
  const bound = await service.listen({ httpPort: 0, grpcPort: 0 });

  const token = async (u: TestUser): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sid: newId('ses'),
      email: u.email,
      name: u.name,
      ev: true,
      orgs: u.orgs,
      ...(u.superadmin ? { sa: true } : {}),
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(u.userId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(privateKey as CryptoKey);
  };

  const call: Harness['call'] = async (u, method, path, body, headers = {}) => {
    const sent: Record<string, string> = { ...headers };
    if (u !== null) sent['authorization'] = `Bearer ${await token(u)}`;
    if (body !== undefined) sent['content-type'] = 'application/json';
    const response = await fetch(`${bound.http}${path}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (HTML docs page); keep the text.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };

  return {
    url: bound.http,
    grpc: bound.grpc,
    service,
    database,
    busKv,
    joinKey: JSON.parse(joinKeyText) as JWK,
    orgA,
    orgB,
    users,
    token,
    call,
    async close() {
      await service.close();
      await busKv.close();
      await database.close();
    },
  };
}

/** A scheduled meeting body a day from now. */
export function meetingBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Weekly sync',
    starts_at: new Date(Date.now() + 86_400_000).toISOString(),
    duration_minutes: 30,
    time_zone: 'Europe/Berlin',
    ...overrides,
  };
}

export function publicJwkOf(jwk: JWK): JWK {
  const { d: _private, ...rest } = jwk;
  return rest;
}
