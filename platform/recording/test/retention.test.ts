import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@origo/auth/client';
import type { RtpForwarder } from '../src/forwarder.js';
import {
  createRecordingService,
  openRecordingDatabase,
  type RecordingDatabase,
  type RecordingService,
} from '../src/service.js';
import { LocalStorage } from '../src/storage.js';
import { newRecordingId } from '../src/store.js';

type Who = { userId: string; orgs?: Record<string, 'admin' | 'host' | 'member'>; superadmin?: boolean };

const principal = (who: Who): Principal =>
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

// Retention needs no media: nothing here starts a recording.
const noSfu: RtpForwarder = {
  tracks: () => Promise.reject(new Error('no SFU in this test')),
  start: () => Promise.reject(new Error('no SFU in this test')),
  requestKeyframe: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  close: () => undefined,
};

describe('recording retention per organization', () => {
  let dir: string;
  let database: RecordingDatabase;
  let service: RecordingService;
  let storage: LocalStorage;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-retention-'));
    database = await openRecordingDatabase({ dataDir: 'memory://' });
    storage = new LocalStorage(join(dir, 'recordings'));
    service = await createRecordingService({
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
    base = (await service.listen()).http;
  });
  afterAll(async () => {
    await service?.close();
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, who?: Who, body?: unknown, origin?: string) => {
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
  };

  const admin: Who = { userId: 'usr_admin', orgs: { org_a: 'admin' } };
  const member: Who = { userId: 'usr_member', orgs: { org_a: 'member' } };
  const outsider: Who = { userId: 'usr_out', orgs: { org_b: 'admin' } };

  it('lets the organization read its retention and only its admins change it', async () => {
    expect((await call('GET', '/api/recordings/retention?org_id=org_a', member)).body).toEqual({
      org_id: 'org_a',
      days: null,
    });
    expect((await call('GET', '/api/recordings/retention?org_id=org_a')).status).toBe(401);
    expect((await call('GET', '/api/recordings/retention?org_id=org_a', outsider)).status).toBe(403);
    const put = (who: Who, body: unknown, origin?: string) =>
      call('PUT', '/api/recordings/retention', who, body, origin);
    expect((await put(member, { org_id: 'org_a', days: 30 })).status).toBe(403);
    expect((await put(outsider, { org_id: 'org_a', days: 30 })).status).toBe(403);
    expect((await put(admin, { org_id: 'org_a', days: 0 })).status).toBe(400);
    expect((await put(admin, { org_id: 'org_a', days: 30 }, 'https://evil.example')).status).toBe(403);
    expect((await put(admin, { org_id: 'org_a', days: 30 })).body).toEqual({ org_id: 'org_a', days: 30 });
    expect((await call('GET', '/api/recordings/retention?org_id=org_a', member)).body).toEqual({
      org_id: 'org_a',
      days: 30,
    });
    expect(
      (await put({ userId: 'usr_root', superadmin: true }, { org_id: 'org_b', days: null })).status,
    ).toBe(200);
  });

  it('removes finished recordings older than their organization keeps, with their files', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const day = 86_400_000;
    const make = async (
      orgId: string | null,
      stoppedDaysAgo: number,
      status: 'ready' | 'failed' = 'ready',
    ) => {
      const id = newRecordingId();
      const key = `mtg_x/${id}.mp4`;
      const src = join(dir, `${id}.src`);
      await writeFile(src, 'video');
      await storage.put(key, src);
      await service.store.create(
        { id, meetingId: 'mtg_x', storage: 'local', storageKey: key, tracks: [], recorderId: 'other', orgId },
        { id: 'usr_admin' },
      );
      await service.store.transition(
        id,
        'recording',
        status,
        `recording.${status}`,
        { id: 'test' },
        {
          stoppedAt: new Date(now.getTime() - stoppedDaysAgo * day),
        },
      );
      return { id, key };
    };
    // org_a keeps 30 days (set above); org_c has no retention; a recording without organization is kept.
    const old = await make('org_a', 31);
    const oldFailed = await make('org_a', 40, 'failed');
    const recent = await make('org_a', 29);
    const otherOrg = await make('org_c', 400);
    const orphan = await make(null, 400);

    expect(await service.manager.sweepRetention(now)).toBe(2);
    expect(await service.store.get(old.id)).toBeNull();
    expect(await service.store.get(oldFailed.id)).toBeNull();
    expect(await storage.stat(old.key)).toBeNull();
    for (const kept of [recent, otherOrg, orphan]) {
      expect(await service.store.get(kept.id)).not.toBeNull();
      expect(await storage.stat(kept.key)).not.toBeNull();
    }
    // Each removal is audited as the service's.
    expect((await service.store.auditOf(old.id)).at(-1)).toMatchObject({
      action: 'recording.deleted',
      actor: 'service:recording',
    });
    // A second run finds nothing more.
    expect(await service.manager.sweepRetention(now)).toBe(0);
  });
});
