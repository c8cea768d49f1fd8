// Who reads which organization's meeting audit log: the superadmin any organization's (the admin area lets
// them pick one), an organization's admins their own only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, meetingBody, startHarness, type Harness, type TestUser } from './helpers.js';

describe.each(backends)('meeting audit across organizations ($name)', (backend) => {
  let h: Harness;
  let meetingA: string;
  let meetingB: string;
  // A superadmin who belongs to no organization at all.
  const root: TestUser = {
    userId: 'usr_root',
    email: 'root@example.test',
    name: 'Root',
    orgs: {},
    superadmin: true,
  };
  beforeAll(async () => {
    h = await startHarness(backend, `aud${randomUUID().slice(0, 6)}`);
    const a = await h.call(h.users.host, 'POST', '/api/meetings', { org_id: h.orgA, ...meetingBody() });
    const b = await h.call(h.users.outsider, 'POST', '/api/meetings', { org_id: h.orgB, ...meetingBody() });
    expect([a.status, b.status]).toEqual([201, 201]);
    meetingA = a.body.id;
    meetingB = b.body.id;
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  it("lets the superadmin read every organization's meeting log, each narrowed to that organization", async () => {
    for (const [org, meeting] of [
      [h.orgA, meetingA],
      [h.orgB, meetingB],
    ] as const) {
      const log = await h.call(root, 'GET', `/api/audit?org_id=${org}&limit=200`);
      expect(log.status).toBe(200);
      const items = log.body.items as Array<{ org_id: string; entity_id: string; action: string }>;
      expect(items.some((e) => e.action === 'meeting.create' && e.entity_id === meeting)).toBe(true);
      expect(items.every((e) => e.org_id === org)).toBe(true);
    }
  });

  it("still refuses an organization's admin the log of another organization", async () => {
    const crossed = await h.call(h.users.admin, 'GET', `/api/audit?org_id=${h.orgB}`);
    expect(crossed.status).toBe(403);
    expect(crossed.body.reason).toBe('missing_permission');
    const back = await h.call(h.users.outsider, 'GET', `/api/audit?org_id=${h.orgA}&entity_id=${meetingA}`);
    expect(back.status).toBe(403);
  });
});
