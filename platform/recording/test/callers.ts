// Callers, a forwarder and a running service for the recording service's tests that start no media
// (retention, audit): callers are named by an `x-test-who` header the service's principal resolver reads.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '@origo/auth/client';
import type { RtpForwarder } from '../src/forwarder.js';
import { createRecordingService, openRecordingDatabase, type RecordingService } from '../src/service.js';
import { LocalStorage } from '../src/storage.js';

/** Who a test's caller is: a user with organization roles, or the superadmin. */
export type Who = {
  userId: string;
  orgs?: Record<string, 'admin' | 'host' | 'member'>;
  superadmin?: boolean;
};

/** A signed-in caller as the auth client resolves one. */
export const principal = (who: Who): Principal =>
  ({
    userId: who.userId,
    email: `${who.userId}@example.com`,
    emailVerified: true,
    displayName: who.userId,
    superadmin: who.superadmin ?? false,
    memberships: Object.entries(who.orgs ?? {}).map(([orgId, role]) => ({ orgId, role })),
    sessionId: 's',
    via: 'access_token',
  }) as Principal;

/** A forwarder for tests that start no recording (no SFU behind them). */
export const noSfu: RtpForwarder = {
  tracks: () => Promise.reject(new Error('no SFU in this test')),
  start: () => Promise.reject(new Error('no SFU in this test')),
  requestKeyframe: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  close: () => undefined,
};

export interface OrgService {
  dir: string;
  service: RecordingService;
  storage: LocalStorage;
  /** A REST call as `who` (none: no caller), with a JSON body and an Origin when given. */
  call(
    method: string,
    path: string,
    who?: Who,
    body?: unknown,
    origin?: string,
  ): Promise<{ status: number; body: Record<string, unknown> | null }>;
  close(): Promise<void>;
}

/** A recording service on an in-memory database and a local folder, with no SFU and no retention sweep. */
export async function startOrgService(dirPrefix: string): Promise<OrgService> {
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const database = await openRecordingDatabase({ dataDir: 'memory://' });
  const storage = new LocalStorage(join(dir, 'recordings'));
  const service = await createRecordingService({
    database,
    storage,
    forwarder: noSfu,
    resolveCaller: () => Promise.reject(new Error('unused')),
    resolvePrincipal: async (request) => {
      const header = request.headers['x-test-who'];
      return typeof header === 'string' ? principal(JSON.parse(header) as Who) : null;
    },
    workDir: join(dir, 'work'),
    rtpHost: '127.0.0.1',
    publicUrl: 'http://localhost:8080',
    retentionSweepMs: 0,
  });
  const base = (await service.listen()).http;
  return {
    dir,
    service,
    storage,
    async call(method, path, who, body, origin) {
      const headers: Record<string, string> = {};
      if (who !== undefined) headers['x-test-who'] = JSON.stringify(who);
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (origin !== undefined) headers['origin'] = origin;
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
      };
    },
    async close() {
      await service.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
