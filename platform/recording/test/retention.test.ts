import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRecordingId } from '../src/store.js';
import { startOrgService, type OrgService, type Who } from './callers.js';

describe('recording retention per organization', () => {
  let svc: OrgService;
  beforeAll(async () => {
    svc = await startOrgService('origo-retention-');
  });
  afterAll(async () => {
    await svc?.close();
  });
  const call: OrgService['call'] = (...args) => svc.call(...args);

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
      const src = join(svc.dir, `${id}.src`);
      await writeFile(src, 'video');
      await svc.storage.put(key, src);
      await svc.service.store.create(
        { id, meetingId: 'mtg_x', storage: 'local', storageKey: key, tracks: [], recorderId: 'other', orgId },
        { id: 'usr_admin' },
      );
      await svc.service.store.transition(
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

    expect(await svc.service.manager.sweepRetention(now)).toBe(2);
    expect(await svc.service.store.get(old.id)).toBeNull();
    expect(await svc.service.store.get(oldFailed.id)).toBeNull();
    expect(await svc.storage.stat(old.key)).toBeNull();
    for (const kept of [recent, otherOrg, orphan]) {
      expect(await svc.service.store.get(kept.id)).not.toBeNull();
      expect(await svc.storage.stat(kept.key)).not.toBeNull();
    }
    // Each removal is audited as the service's.
    expect((await svc.service.store.auditOf(old.id)).at(-1)).toMatchObject({
      action: 'recording.deleted',
      actor: 'service:recording',
    });
    // A second run finds nothing more.
    expect(await svc.service.manager.sweepRetention(now)).toBe(0);
  });
});
