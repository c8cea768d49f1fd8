// Every role x endpoint cell of the REST API, with each denial proven: the status and problem document,
// and no audit row (nothing changed).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomEventType } from '@origo/proto/control-rpc';
import { backends, meetingBody, startHarness, type Harness, type TestUser } from './helpers.js';
import { auditCount, reportEvent } from './support.js';

type Role = 'admin' | 'host' | 'otherHost' | 'member' | 'guest' | 'outsider' | 'anonymous';
const ROLES: Role[] = ['admin', 'host', 'otherHost', 'member', 'guest', 'outsider', 'anonymous'];
type Expect = Record<Role, number>;
const row = (
  admin: number,
  host: number,
  otherHost: number,
  member: number,
  guest: number,
  outsider: number,
  anonymous: number,
): Expect => ({
  admin,
  host,
  otherHost,
  member,
  guest,
  outsider,
  anonymous,
});

interface Prepared {
  meetingId: string;
  extra?: string;
}

interface Case {
  name: string;
  expect: Expect;
  /** Builds a fresh fixture per cell so one role's success cannot change the next role's result. */
  prepare?: (h: Harness) => Promise<Prepared>;
  run: (h: Harness, who: TestUser | null, p: Prepared) => ReturnType<Harness['call']>;
}

async function newMeeting(h: Harness, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await h.call(
    h.users.host,
    'POST',
    '/api/meetings',
    meetingBody({ org_id: h.orgA, ...overrides }),
  );
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function liveMeeting(h: Harness): Promise<string> {
  const id = await newMeeting(h);
  await reportEvent(h, {
    roomName: id,
    type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
    participantCount: 1,
  });
  return id;
}

const cases: Case[] = [
  {
    name: 'POST /api/meetings',
    expect: row(201, 201, 201, 403, 403, 403, 401),
    run: (h, who) => h.call(who, 'POST', '/api/meetings', meetingBody({ org_id: h.orgA })),
  },
  {
    name: 'GET /api/meetings',
    expect: row(200, 200, 200, 200, 403, 403, 401),
    run: (h, who) => h.call(who, 'GET', `/api/meetings?org_id=${h.orgA}`),
  },
  {
    name: 'GET /api/meetings/{id}',
    expect: row(200, 200, 200, 200, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}`),
  },
  {
    name: 'GET /api/meetings/{id}/occurrences',
    expect: row(200, 200, 200, 200, 403, 403, 401),
    prepare: async (h) => ({
      meetingId: await newMeeting(h, { recurrence: { rrule: 'FREQ=DAILY;COUNT=3' } }),
    }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}/occurrences`),
  },
  {
    name: 'PATCH /api/meetings/{id}',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'PATCH', `/api/meetings/${p.meetingId}`, { title: 'Renamed' }),
  },
  {
    name: 'POST /api/meetings/{id}/cancel',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/cancel`),
  },
  {
    name: 'POST /api/meetings/{id}/invitations',
    expect: row(201, 201, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) =>
      h.call(who, 'POST', `/api/meetings/${p.meetingId}/invitations`, { emails: ['someone@example.com'] }),
  },
  {
    name: 'GET /api/meetings/{id}/invitations',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}/invitations`),
  },
  {
    name: 'DELETE /api/meetings/{id}/invitations/{invitation_id}',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => {
      const meetingId = await newMeeting(h);
      const invited = await h.call(h.users.host, 'POST', `/api/meetings/${meetingId}/invitations`, {
        emails: ['x@example.com'],
      });
      return { meetingId, extra: invited.body[0].id as string };
    },
    run: (h, who, p) => h.call(who, 'DELETE', `/api/meetings/${p.meetingId}/invitations/${p.extra}`),
  },
  {
    name: 'POST /api/meetings/{id}/invite-links',
    expect: row(201, 201, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/invite-links`, {}),
  },
  {
    name: 'GET /api/meetings/{id}/invite-links',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}/invite-links`),
  },
  {
    name: 'DELETE /api/meetings/{id}/invite-links/{link_id}',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => {
      const meetingId = await newMeeting(h);
      const link = await h.call(h.users.host, 'POST', `/api/meetings/${meetingId}/invite-links`, {});
      return { meetingId, extra: link.body.id as string };
    },
    run: (h, who, p) => h.call(who, 'DELETE', `/api/meetings/${p.meetingId}/invite-links/${p.extra}`),
  },
  {
    name: 'POST /api/meetings/{id}/preview',
    // Public: what it reveals depends on the caller (invite-links.test.ts).
    expect: row(200, 200, 200, 200, 200, 200, 200),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/preview`, {}),
  },
  {
    name: 'POST /api/meetings/{id}/lobby/wait',
    // The lobby ticket is the credential, whoever presents it.
    expect: row(200, 200, 200, 200, 200, 200, 200),
    prepare: async (h) => {
      const meetingId = await newMeeting(h, { lobby_enabled: true });
      const link = await h.call(h.users.host, 'POST', `/api/meetings/${meetingId}/invite-links`, {});
      const waiting = await h.call(null, 'POST', `/api/meetings/${meetingId}/join`, {
        name: 'Visitor',
        invite_token: link.body.invite_token,
      });
      expect(waiting.status).toBe(202);
      return { meetingId, extra: waiting.body.lobby_ticket as string };
    },
    run: (h, who, p) =>
      h.call(who, 'POST', `/api/meetings/${p.meetingId}/lobby/wait`, { ticket: p.extra, wait_seconds: 0 }),
  },
  {
    name: 'GET /api/meetings/{id}/lobby-watch',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h, { lobby_enabled: true }) }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}/lobby-watch?wait_seconds=0`),
  },
  {
    name: 'POST /api/meetings/{id}/join',
    // Outsiders are neither members nor invited; anonymous callers bring no credential at all.
    expect: row(200, 200, 200, 200, 200, 403, 401),
    prepare: async (h) => {
      const meetingId = await newMeeting(h);
      await h.call(h.users.host, 'POST', `/api/meetings/${meetingId}/invitations`, {
        emails: [h.users.guest.email],
      });
      return { meetingId };
    },
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/join`, {}),
  },
  {
    name: 'GET /api/meetings/{id}/lobby',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h, { lobby_enabled: true }) }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}/lobby`),
  },
  ...(['admit', 'deny'] as const).map((decision): Case => ({
    name: `POST /api/meetings/{id}/lobby/{entry_id}/${decision}`,
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => {
      const meetingId = await newMeeting(h, { lobby_enabled: true });
      const invited = await h.call(h.users.host, 'POST', `/api/meetings/${meetingId}/invitations`, {
        emails: ['lobby@example.com'],
      });
      const waiting = await h.call(null, 'POST', `/api/meetings/${meetingId}/join`, {
        name: 'Visitor',
        invite_token: invited.body[0].invite_token,
      });
      expect(waiting.status).toBe(202);
      return { meetingId, extra: waiting.body.lobby_entry_id as string };
    },
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/lobby/${p.extra}/${decision}`),
  })),
  {
    name: 'POST /api/meetings/{id}/participants/{identity}/mute',
    expect: row(202, 202, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await liveMeeting(h) }),
    run: (h, who, p) =>
      h.call(who, 'POST', `/api/meetings/${p.meetingId}/participants/${h.users.member.userId}/mute`, {}),
  },
  {
    name: 'POST /api/meetings/{id}/participants/{identity}/remove',
    expect: row(202, 202, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await liveMeeting(h) }),
    run: (h, who, p) =>
      h.call(who, 'POST', `/api/meetings/${p.meetingId}/participants/${h.users.member.userId}/remove`),
  },
  {
    name: 'POST /api/meetings/{id}/participants/{identity}/allow',
    expect: row(202, 202, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) =>
      h.call(who, 'POST', `/api/meetings/${p.meetingId}/participants/${h.users.member.userId}/allow`),
  },
  {
    name: 'GET /api/meetings/{id}/removals',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'GET', `/api/meetings/${p.meetingId}/removals`),
  },
  {
    name: 'POST /api/meetings/{id}/lock',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await newMeeting(h) }),
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/lock`, { locked: true }),
  },
  {
    name: 'POST /api/meetings/{id}/end',
    expect: row(200, 200, 403, 403, 403, 403, 401),
    prepare: async (h) => ({ meetingId: await liveMeeting(h) }),
    run: (h, who, p) => h.call(who, 'POST', `/api/meetings/${p.meetingId}/end`),
  },
  {
    name: 'GET /api/presence',
    expect: row(200, 200, 200, 200, 403, 403, 401),
    run: (h, who) => h.call(who, 'GET', `/api/presence?org_id=${h.orgA}`),
  },
  {
    name: 'POST /api/presence/heartbeat',
    expect: row(200, 200, 200, 200, 200, 200, 401),
    run: (h, who) => h.call(who, 'POST', '/api/presence/heartbeat', { state: 'online' }),
  },
  {
    name: 'GET /api/audit',
    expect: row(200, 403, 403, 403, 403, 403, 401),
    run: (h, who) => h.call(who, 'GET', `/api/audit?org_id=${h.orgA}`),
  },
  {
    name: 'GET /api/live-rooms',
    expect: row(200, 403, 403, 403, 403, 403, 401),
    run: (h, who) => h.call(who, 'GET', `/api/live-rooms?org_id=${h.orgA}`),
  },
];

describe.each(backends)('role x endpoint matrix ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `rbac${randomUUID().slice(0, 6)}`);
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  it('covers every REST route of the service', () => {
    const documented = Object.entries(
      h.service.openapi()['paths'] as Record<string, Record<string, unknown>>,
    ).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    const covered = cases.map((c) => c.name);
    expect(covered.sort()).toEqual(documented.filter((r) => !r.includes('/lobby/{ticket}')).sort());
  });

  for (const c of cases) {
    for (const role of ROLES) {
      const status = c.expect[role];
      it(`${c.name} as ${role} -> ${status}`, async () => {
        const prepared = c.prepare ? await c.prepare(h) : { meetingId: '' };
        const who = role === 'anonymous' ? null : h.users[role];
        const before = await auditCount(h);
        const response = await c.run(h, who, prepared);
        expect(response.status, JSON.stringify(response.body)).toBe(status);
        if (status >= 400) {
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(response.body.status).toBe(status);
          expect(response.body.code).toBe(status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED');
          // A refused call changes nothing.
          expect(await auditCount(h)).toBe(before);
        }
      });
    }
  }

  it('GET /api/meetings/{id}/lobby/{ticket} answers only the ticket holder', async () => {
    const meetingId = await newMeeting(h, { lobby_enabled: true });
    const invited = await h.call(h.users.host, 'POST', `/api/meetings/${meetingId}/invitations`, {
      emails: ['poll@example.com'],
    });
    const waiting = await h.call(null, 'POST', `/api/meetings/${meetingId}/join`, {
      name: 'Visitor',
      invite_token: invited.body[0].invite_token,
    });
    const ticket = waiting.body.lobby_ticket as string;
    for (const role of ROLES) {
      const who = role === 'anonymous' ? null : h.users[role];
      expect((await h.call(who, 'GET', `/api/meetings/${meetingId}/lobby/${ticket}`)).status).toBe(200);
      const forged = await h.call(who, 'GET', `/api/meetings/${meetingId}/lobby/${'A'.repeat(43)}`);
      expect(forged.status).toBe(404);
    }
    // The ticket only works for its own meeting.
    const other = await newMeeting(h, { lobby_enabled: true });
    expect((await h.call(null, 'GET', `/api/meetings/${other}/lobby/${ticket}`)).status).toBe(404);
  });

  it('a superadmin passes every org check', async () => {
    const root: TestUser = {
      userId: 'usr_' + 'R'.repeat(22),
      email: 'root@example.com',
      name: 'Root',
      orgs: {},
      superadmin: true,
    };
    const meetingId = await newMeeting(h);
    expect((await h.call(root, 'GET', `/api/meetings/${meetingId}`)).status).toBe(200);
    expect((await h.call(root, 'GET', `/api/audit?org_id=${h.orgA}`)).status).toBe(200);
    expect((await h.call(root, 'POST', `/api/meetings/${meetingId}/lock`, { locked: true })).status).toBe(
      200,
    );
  });

  it('answers 401 before validating the input of an anonymous caller', async () => {
    const response = await h.call(null, 'POST', '/api/meetings', { nonsense: true });
    expect(response.status).toBe(401);
    expect((await h.call(null, 'GET', '/api/meetings/not-an-id')).status).toBe(401);
  });

  it('refuses a forged or expired access token with 401', async () => {
    const meetingId = await newMeeting(h);
    const token = await h.token(h.users.admin);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, orgs: { [h.orgB]: 'admin' } })).toString('base64url')}.${signature}`;
    for (const authorization of [`Bearer ${tampered}`, 'Bearer not-a-jwt', 'Basic abc']) {
      const response = await h.call(null, 'GET', `/api/meetings/${meetingId}`, undefined, { authorization });
      expect(response.status).toBe(401);
    }
  });
});
