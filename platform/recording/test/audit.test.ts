// The recordings' audit log an organization's admins read in the admin area: who started and stopped
// which meeting's recording and when, newest first, filtered like every other audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRecordingId } from '../src/store.js';
import { startOrgService, type OrgService, type Who } from './callers.js';

describe("an organization's recording audit log", () => {
  let svc: OrgService;
  beforeAll(async () => {
    svc = await startOrgService('origo-rec-audit-');
  });
  afterAll(async () => {
    await svc?.close();
  });
  const call: OrgService['call'] = (...args) => svc.call(...args);

  const admin: Who = { userId: 'usr_admin', orgs: { org_a: 'admin' } };
  const member: Who = { userId: 'usr_member', orgs: { org_a: 'member' } };
  const outsider: Who = { userId: 'usr_out', orgs: { org_b: 'admin' } };

  /** A recording of `meetingId` started by `by` and stopped by `stopper`, as the manager audits them. */
  const record = async (orgId: string, meetingId: string, by: string, stopper: string) => {
    const id = newRecordingId();
    await svc.service.store.create(
      {
        id,
        meetingId,
        storage: 'local',
        storageKey: `${meetingId}/${id}.mp4`,
        tracks: [],
        recorderId: 'other',
        orgId,
        meetingTitle: 'Board review',
      },
      { id: by, requestId: 'req-start' },
    );
    await svc.service.store.transition(
      id,
      'recording',
      'stopping',
      'recording.stopped',
      { id: stopper },
      {
        stoppedAt: new Date(),
      },
    );
    return id;
  };

  it("lists who started and stopped which meeting's recording, for the organization's admins only", async () => {
    const mine = await record('org_a', 'mtg_board', 'usr_host', 'usr_cohost');
    const theirs = await record('org_b', 'mtg_other', 'usr_else', 'usr_else');
    const page = await call('GET', '/api/recordings/audit?org_id=org_a', admin);
    expect(page.status).toBe(200);
    const items = page.body!['items'] as Array<Record<string, unknown>>;
    expect(items.map((e) => [e['action'], e['actor'], e['entityId'], e['meetingId']])).toEqual([
      ['recording.stopped', 'usr_cohost', mine, 'mtg_board'],
      ['recording.started', 'usr_host', mine, 'mtg_board'],
    ]);
    expect(items[1]).toMatchObject({ orgId: 'org_a', entity: 'recording', requestId: 'req-start' });
    expect(Date.parse(items[1]!['at'] as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(items)).not.toContain(theirs);

    expect((await call('GET', '/api/recordings/audit?org_id=org_a')).status).toBe(401);
    expect((await call('GET', '/api/recordings/audit?org_id=org_a', member)).status).toBe(403);
    expect((await call('GET', '/api/recordings/audit?org_id=org_a', outsider)).status).toBe(403);
    const root = await call('GET', '/api/recordings/audit?org_id=org_b', {
      userId: 'usr_root',
      superadmin: true,
    });
    expect((root.body!['items'] as Array<{ entityId: string }>).map((e) => e.entityId)).toEqual([
      theirs,
      theirs,
    ]);
  });

  it("filters by actor and action, pages with a cursor, and keeps a deleted recording's history", async () => {
    const a = await record('org_c', 'mtg_1', 'usr_x', 'usr_x');
    const b = await record('org_c', 'mtg_2', 'usr_y', 'usr_y');
    await svc.service.store.delete(a, { id: 'usr_admin' });
    const who: Who = { userId: 'usr_admin', orgs: { org_c: 'admin' } };
    const byY = await call('GET', '/api/recordings/audit?org_id=org_c&actor=usr_y', who);
    expect((byY.body!['items'] as Array<{ entityId: string }>).every((e) => e.entityId === b)).toBe(true);
    const starts = await call('GET', '/api/recordings/audit?org_id=org_c&action=recording.started', who);
    expect((starts.body!['items'] as Array<{ entityId: string }>).map((e) => e.entityId)).toEqual([b, a]);
    const first = await call('GET', '/api/recordings/audit?org_id=org_c&limit=2', who);
    const items = first.body!['items'] as Array<{ action: string }>;
    expect(items.map((e) => e.action)).toEqual(['recording.deleted', 'recording.stopped']);
    const next = await call(
      'GET',
      `/api/recordings/audit?org_id=org_c&limit=2&cursor=${first.body!['nextCursor'] as string}`,
      who,
    );
    expect((next.body!['items'] as Array<{ action: string }>).map((e) => e.action)).toEqual([
      'recording.started',
      'recording.stopped',
    ]);
    expect((await call('GET', '/api/recordings/audit?org_id=org_c&cursor=x', who)).status).toBe(400);
  });
});
