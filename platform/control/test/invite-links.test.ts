// Invite links, the pre-join preview, and lobby decisions pushed to long-polling guests and hosts.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@origo/kit';
import { RoomEventType } from '@origo/proto/control-rpc';
import { controlSchema, createControlService, type ControlService } from '../src/index.js';
import { backends, meetingBody, startHarness, type Harness, type TestUser } from './helpers.js';
import { auditCount, auditRows, closeGrpcClients, reportEvent } from './support.js';

describe.each(backends)('invite links, preview and lobby push ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `links${randomUUID().slice(0, 6)}`);
  });
  afterAll(async () => {
    closeGrpcClients();
    await h?.close();
    await backend.cleanup();
  });

  const create = async (overrides: Record<string, unknown> = {}): Promise<string> => {
    const created = await h.call(
      h.users.host,
      'POST',
      '/api/meetings',
      meetingBody({ org_id: h.orgA, ...overrides }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const instant = () => create({ kind: 'instant', starts_at: undefined, title: 'Instant meeting' });
  const newLink = (id: string, body: Record<string, unknown> = {}, who: TestUser = h.users.host) =>
    h.call(who, 'POST', `/api/meetings/${id}/invite-links`, body);
  const join = (who: TestUser | null, id: string, body: Record<string, unknown> = {}) =>
    h.call(who, 'POST', `/api/meetings/${id}/join`, body);
  const preview = (who: TestUser | null, id: string, body: Record<string, unknown> = {}) =>
    h.call(who, 'POST', `/api/meetings/${id}/preview`, body);

  describe('invite links', () => {
    it('let a guest with no account into an instant meeting, and stop working once revoked', async () => {
      const id = await instant();
      // Without the link a guest has nothing to give: an instant meeting has no passcode.
      expect((await join(null, id, { name: 'Grace' })).body.reason).toBe('credentials_required');

      const link = await newLink(id);
      expect(link.status, JSON.stringify(link.body)).toBe(201);
      expect(link.body).toMatchObject({ meeting_id: id, status: 'active', created_by: h.users.host.userId });
      expect(link.body.invite_url).toBe(`http://origo.test/join/${id}#invite=${link.body.invite_token}`);
      // A day for an instant meeting.
      const lifetime = Date.parse(link.body.expires_at) - Date.now();
      expect(lifetime).toBeGreaterThan(23 * 3_600_000);
      expect(lifetime).toBeLessThanOrEqual(24 * 3_600_000);

      const token = link.body.invite_token as string;
      const joined = await join(null, id, { name: 'Grace', invite_token: token });
      expect(joined.status, JSON.stringify(joined.body)).toBe(200);
      expect(joined.body).toMatchObject({
        status: 'ready',
        name: 'Grace',
        grants: { host: false },
        meeting: { title: 'Instant meeting' },
      });
      expect(joined.body.identity).toMatch(/^gst_/);

      const listed = await h.call(h.users.host, 'GET', `/api/meetings/${id}/invite-links`);
      expect(listed.status).toBe(200);
      expect(listed.body).toHaveLength(1);
      expect(JSON.stringify(listed.body)).not.toContain(token);

      const revoked = await h.call(
        h.users.admin,
        'DELETE',
        `/api/meetings/${id}/invite-links/${link.body.id}`,
      );
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      const refused = await join(null, id, { name: 'Grace', invite_token: token });
      expect(refused.status).toBe(403);
      expect(refused.body.reason).toBe('invitation_expired');
      // The same link cut short when it was copied is not a link of this meeting at all.
      const mangled = await join(null, id, { name: 'Grace', invite_token: token.slice(0, -4) });
      expect(mangled.status).toBe(403);
      expect(mangled.body.reason).toBe('invalid_invitation');

      const rows = await auditRows(h, link.body.id as string);
      expect(rows.map((r) => [r.action, r.actor])).toEqual([
        ['invite_link.create', h.users.host.userId],
        ['invite_link.revoke', h.users.admin.userId],
      ]);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(JSON.stringify(rows)).toContain('[redacted]');
    });

    it('expire, open only their own meeting, and last until a day after the next occurrence by default', async () => {
      const inTenDays = new Date(Date.now() + 10 * 86_400_000);
      const id = await create({ starts_at: inTenDays.toISOString(), duration_minutes: 60 });
      const link = await newLink(id);
      expect(Date.parse(link.body.expires_at)).toBe(inTenDays.getTime() + 60 * 60_000 + 86_400_000);
      const token = link.body.invite_token as string;

      const other = await create();
      const elsewhere = await join(null, other, { name: 'Grace', invite_token: token });
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.body.reason).toBe('invalid_invitation');

      const short = await newLink(id, { expires_in_minutes: 5 });
      expect(Date.parse(short.body.expires_at) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
      // Time passes: the link's expiry is moved into the past.
      await h.database.db
        .update(controlSchema.inviteLinks)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(controlSchema.inviteLinks.id, short.body.id));
      const expired = await join(null, id, { name: 'Grace', invite_token: short.body.invite_token });
      expect(expired.status).toBe(403);
      expect(expired.body.reason).toBe('invitation_expired');
      // A stale link of this meeting says nothing about another meeting.
      const staleElsewhere = await join(null, other, {
        name: 'Grace',
        invite_token: short.body.invite_token,
      });
      expect(staleElsewhere.body.reason).toBe('invalid_invitation');
      const listed = await h.call(h.users.host, 'GET', `/api/meetings/${id}/invite-links`);
      expect(listed.body.map((l: { status: string }) => l.status)).toEqual(['active', 'expired']);
      expect((await join(null, id, { name: 'Grace', invite_token: token })).status).toBe(200);
    });

    it('refuse bad input with 400 naming the field and change nothing', async () => {
      const id = await instant();
      const before = await auditCount(h);
      for (const [body, field] of [
        [{ expires_in_minutes: 1 }, 'expires_in_minutes'],
        [{ expires_in_minutes: 200_000 }, 'expires_in_minutes'],
        [{ expires_in_minutes: 'soon' }, 'expires_in_minutes'],
        [{ colour: 'red' }, ''],
      ] as const) {
        const response = await newLink(id, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.code).toBe('INVALID_ARGUMENT');
        if (field !== '')
          expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(
        (await h.call(h.users.host, 'DELETE', `/api/meetings/${id}/invite-links/not-a-link`)).status,
      ).toBe(400);
      expect(
        (await h.call(h.users.host, 'DELETE', `/api/meetings/${id}/invite-links/lnk_${'x'.repeat(22)}`))
          .status,
      ).toBe(404);
      // A link of another meeting cannot be revoked through this one.
      const other = await instant();
      const foreign = await newLink(other);
      const afterCreate = await auditCount(h);
      expect(
        (await h.call(h.users.host, 'DELETE', `/api/meetings/${id}/invite-links/${foreign.body.id}`)).status,
      ).toBe(404);
      expect(afterCreate).toBe(before + 2);
      expect(await auditCount(h)).toBe(afterCreate);
      // A cancelled meeting gives no new links.
      await h.call(h.users.host, 'POST', `/api/meetings/${id}/cancel`);
      const late = await newLink(id);
      expect(late.status).toBe(412);
      expect(late.body.reason).toBe('meeting_cancelled');
    });
  });

  describe('preview', () => {
    it('shows the title to members and invitees only, and says how a guest gets in', async () => {
      const id = await create({ title: 'Board meeting', passcode: 'sesame42' });
      const link = await newLink(id);
      const token = link.body.invite_token as string;

      const asGuest = await preview(null, id, { invite_token: token });
      expect(asGuest.status).toBe(200);
      expect(asGuest.body).toEqual({
        id,
        title: 'Board meeting',
        state: 'scheduled',
        has_passcode: true,
        lobby_enabled: false,
        invitation: 'valid',
        access: 'invited',
      });
      const stranger = await preview(null, id);
      expect(stranger.body).toMatchObject({ title: null, invitation: 'none', access: 'passcode' });
      const member = await preview(h.users.member, id);
      expect(member.body).toMatchObject({ title: 'Board meeting', access: 'member' });
      const outsider = await preview(h.users.outsider, id);
      expect(outsider.body).toMatchObject({ title: null, access: 'passcode' });

      await h.call(h.users.host, 'DELETE', `/api/meetings/${id}/invite-links/${link.body.id}`);
      const stale = await preview(null, id, { invite_token: token });
      expect(stale.body).toMatchObject({ title: null, invitation: 'expired', access: 'passcode' });
      // A mangled token (cut short, a character changed) is no invitation: it is invalid, not expired.
      for (const broken of [token.slice(0, 10), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`])
        expect((await preview(null, id, { invite_token: broken })).body).toMatchObject({
          title: null,
          invitation: 'invalid',
          access: 'passcode',
        });

      const open = await instant();
      expect((await preview(null, open)).body).toMatchObject({ title: null, access: 'sign_in' });
      // An e-mail invitation's token works too.
      const invited = await h.call(h.users.host, 'POST', `/api/meetings/${open}/invitations`, {
        emails: ['grace@example.com'],
      });
      expect((await preview(null, open, { invite_token: invited.body[0].invite_token })).body).toMatchObject({
        title: 'Instant meeting',
        invitation: 'valid',
        access: 'invited',
      });
      // The signed-in invitee is recognised by the verified address.
      expect((await preview(h.users.guest, open)).body.access).toBe('sign_in');
      await h.call(h.users.host, 'POST', `/api/meetings/${open}/invitations`, {
        emails: [h.users.guest.email],
      });
      expect((await preview(h.users.guest, open)).body).toMatchObject({
        access: 'invited',
        invitation: 'valid',
      });

      expect((await preview(null, id, { invite_token: '' })).status).toBe(400);
      expect((await preview(null, `mtg_${'x'.repeat(22)}`)).status).toBe(404);
    });
  });

  describe('lobby push', () => {
    async function waitingGuest(id: string, name: string) {
      const link = await newLink(id);
      const waiting = await join(null, id, { name, invite_token: link.body.invite_token });
      expect(waiting.status).toBe(202);
      return { ticket: waiting.body.lobby_ticket as string, entryId: waiting.body.lobby_entry_id as string };
    }
    const wait = (id: string, ticket: string, seconds = 20) =>
      h.call(null, 'POST', `/api/meetings/${id}/lobby/wait`, { ticket, wait_seconds: seconds });

    it('answers a waiting guest as soon as a host admits, with a join token', async () => {
      const id = await create({ lobby_enabled: true });
      const { ticket, entryId } = await waitingGuest(id, 'Wanda');
      expect((await wait(id, ticket, 0)).body).toMatchObject({ status: 'waiting', meeting: { id } });

      const held = wait(id, ticket, 25);
      const admitted = await h.call(h.users.host, 'POST', `/api/meetings/${id}/lobby/${entryId}/admit`);
      expect(admitted.status).toBe(200);
      const answer = await held;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'ready', name: 'Wanda', grants: { host: false } });
      expect(typeof answer.body.token).toBe('string');
    });

    it('answers 403 lobby_denied when a host turns the guest away, and 412 when the meeting ends', async () => {
      const id = await create({ lobby_enabled: true });
      const denied = await waitingGuest(id, 'Dora');
      const heldDenied = wait(id, denied.ticket);
      await h.call(h.users.host, 'POST', `/api/meetings/${id}/lobby/${denied.entryId}/deny`);
      const refusal = await heldDenied;
      expect(refusal.status).toBe(403);
      expect(refusal.body.reason).toBe('lobby_denied');

      const live = await create({ lobby_enabled: true });
      await reportEvent(h, {
        roomName: live,
        type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
        participantCount: 1,
      });
      const guest = await waitingGuest(live, 'Eve');
      const heldEnd = wait(live, guest.ticket);
      await h.call(h.users.host, 'POST', `/api/meetings/${live}/end`);
      const ended = await heldEnd;
      expect(ended.status).toBe(412);
      expect(ended.body.reason).toBe('meeting_ended');

      expect((await wait(id, 'A'.repeat(43), 0)).status).toBe(404);
      expect(
        (
          await h.call(null, 'POST', `/api/meetings/${id}/lobby/wait`, {
            ticket: denied.ticket,
            wait_seconds: 60,
          })
        ).status,
      ).toBe(400);
      expect((await h.call(null, 'POST', `/api/meetings/${id}/lobby/wait`, {})).status).toBe(400);
    });

    it('pushes the lobby list to a host when someone arrives or is decided', async () => {
      const id = await create({ lobby_enabled: true });
      const watch = (version?: string, seconds = 20) =>
        h.call(
          h.users.host,
          'GET',
          `/api/meetings/${id}/lobby-watch?wait_seconds=${seconds}${version === undefined ? '' : `&version=${version}`}`,
        );
      const first = await watch();
      expect(first.status).toBe(200);
      expect(first.body.entries).toEqual([]);

      const held = watch(first.body.version as string);
      const guest = await waitingGuest(id, 'Walter');
      const arrived = await held;
      expect(arrived.body.entries.map((e: { display_name: string }) => e.display_name)).toEqual(['Walter']);
      expect(arrived.body.version).not.toBe(first.body.version);

      // Nothing changes: the held request answers after wait_seconds with the same version.
      const quiet = await watch(arrived.body.version as string, 1);
      expect(quiet.body.version).toBe(arrived.body.version);

      const heldAgain = watch(arrived.body.version as string);
      await h.call(h.users.host, 'POST', `/api/meetings/${id}/lobby/${guest.entryId}/admit`);
      expect((await heldAgain).body.entries).toEqual([]);

      expect((await watch(undefined, 99)).status).toBe(400);
    });

    it('wakes a guest held by another replica (the change travels over the bus)', async () => {
      const replica: ControlService = await createControlService({
        database: h.database,
        busKv: h.busKv,
        joinTokenKey: JSON.stringify(h.joinKey),
        // Only the public lobby route is called on this replica.
        resolvePrincipal: async () => null,
        settings: { publicUrl: 'http://origo.test' },
        logger: createLogger({ service: 'control', level: 'silent' }),
      });
      const bound = await replica.listen({ httpPort: 0, grpcPort: 0 });
      try {
        const id = await create({ lobby_enabled: true });
        const { ticket, entryId } = await waitingGuest(id, 'Rita');
        const held = fetch(`${bound.http}/api/meetings/${id}/lobby/wait`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ticket, wait_seconds: 25 }),
        });
        await h.call(h.users.host, 'POST', `/api/meetings/${id}/lobby/${entryId}/admit`);
        const answer = await held;
        expect(answer.status).toBe(200);
        expect(((await answer.json()) as { status: string }).status).toBe('ready');
      } finally {
        await replica.close();
      }
    });
  });
});
