// A person a host removed stays out of the meeting until a host allows them back, even when they open the
// invite link again: the removal is kept with the meeting and checked where join tokens are issued.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomEventType } from '@origo/proto/control-rpc';
import { ROOM_COMMANDS_CHANNEL, roomCommandSchema, type RoomCommand } from '../src/contracts.js';
import { ErrorCode, unary } from '@origo/kit';
import { backends, meetingBody, startHarness, type Harness, type TestUser } from './helpers.js';
import { auditRows, closeGrpcClients, grpcClient, reportEvent } from './support.js';

/** What a browser keeps in its storage and sends with every join. */
const deviceKey = () => randomBytes(32).toString('base64url');

describe.each(backends)('removing a participant and allowing them back ($name)', (backend) => {
  let h: Harness;
  const commands: RoomCommand[] = [];
  beforeAll(async () => {
    h = await startHarness(backend, `rm${randomUUID().slice(0, 6)}`);
    await h.busKv.bus.subscribe(ROOM_COMMANDS_CHANNEL, (message) => {
      commands.push(roomCommandSchema.parse(message));
    });
  });
  afterAll(async () => {
    closeGrpcClients();
    await h?.close();
    await backend.cleanup();
  });

  /** A live instant meeting of the host, with the lobby as asked, and an invite link token. */
  async function liveMeeting(lobby = false): Promise<{ id: string; link: string }> {
    const created = await h.call(h.users.host, 'POST', '/api/meetings', {
      ...meetingBody({ org_id: h.orgA, lobby_enabled: lobby }),
      starts_at: undefined,
      kind: 'instant',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 1,
    });
    const link = await h.call(h.users.host, 'POST', `/api/meetings/${id}/invite-links`, {});
    expect(link.status).toBe(201);
    return { id, link: link.body.invite_token as string };
  }
  const join = (who: TestUser | null, id: string, body: Record<string, unknown>) =>
    h.call(who, 'POST', `/api/meetings/${id}/join`, body);
  const remove = (id: string, identity: string, displayName?: string) =>
    h.call(
      h.users.host,
      'POST',
      `/api/meetings/${id}/participants/${identity}/remove`,
      displayName === undefined ? undefined : { display_name: displayName },
    );
  const allow = (id: string, identity: string, who: TestUser = h.users.host) =>
    h.call(who, 'POST', `/api/meetings/${id}/participants/${identity}/allow`);
  const removed = (id: string, who: TestUser = h.users.host) =>
    h.call(who, 'GET', `/api/meetings/${id}/removals`);

  it('refuses a removed guest who opens the invite link again from the same browser, until a host allows them back', async () => {
    const { id, link } = await liveMeeting();
    const browser = deviceKey();
    const first = await join(null, id, { name: 'Gil Guest', invite_token: link, device_key: browser });
    expect(first.status).toBe(200);
    const identity = first.body.identity as string;
    expect(identity).toMatch(/^gst_[A-Za-z0-9_-]{22}$/);
    // Joining again from the same browser is the same guest.
    const again = await join(null, id, { name: 'Gil Guest', invite_token: link, device_key: browser });
    expect(again.body.identity).toBe(identity);

    commands.length = 0;
    expect((await remove(id, identity, 'Gil Guest')).status).toBe(202);

    // Back through the link, under another name: refused, with the reason a person can read.
    const refused = await join(null, id, { name: 'Someone Else', invite_token: link, device_key: browser });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      reason: 'removed_by_host',
      detail: 'The host removed you from this meeting',
    });
    // The link still works for everybody else.
    const other = await join(null, id, { name: 'Other', invite_token: link, device_key: deviceKey() });
    expect(other.status).toBe(200);
    expect(other.body.identity).not.toBe(identity);

    // The host sees who was removed, and by whom; nobody else does.
    const list = await removed(id);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      {
        identity,
        display_name: 'Gil Guest',
        removed_at: expect.any(String) as string,
        removed_by: h.users.host.userId,
      },
    ]);
    expect((await removed(id, h.users.member)).status).toBe(403);
    expect((await allow(id, identity, h.users.member)).status).toBe(403);

    expect((await allow(id, identity)).status).toBe(202);
    expect(await removed(id).then((r) => r.body)).toEqual([]);
    const back = await join(null, id, { name: 'Gil Guest', invite_token: link, device_key: browser });
    expect(back.status).toBe(200);
    expect(back.body.identity).toBe(identity);

    // Signaling hears both, named by the same identity, so its own marker follows.
    await expect
      .poll(() => commands.map((c) => [c.type, 'identity' in c ? c.identity : '']), { timeout: 10_000 })
      .toEqual([
        ['remove_participant', identity],
        ['allow_participant', identity],
      ]);
    const actions = (await auditRows(h, id)).map((r) => r.action);
    expect(actions).toContain('meeting.participant_removed');
    expect(actions).toContain('meeting.participant_allowed');
  });

  it('keeps out a guest invited by e-mail whichever browser they use', async () => {
    const { id } = await liveMeeting();
    const invited = await h.call(h.users.host, 'POST', `/api/meetings/${id}/invitations`, {
      emails: ['grace@example.com'],
    });
    const token = invited.body[0].invite_token as string;
    const first = await join(null, id, { name: 'Grace', invite_token: token, device_key: deviceKey() });
    expect(first.status).toBe(200);
    expect((await remove(id, first.body.identity as string)).status).toBe(202);
    const laptop = await join(null, id, { name: 'Grace', invite_token: token, device_key: deviceKey() });
    expect(laptop.status).toBe(403);
    expect(laptop.body.reason).toBe('removed_by_host');
    const noKey = await join(null, id, { name: 'Grace', invite_token: token });
    expect(noKey.body.reason).toBe('removed_by_host');
  });

  it('keeps out a removed member, never a host', async () => {
    const { id } = await liveMeeting();
    expect((await remove(id, h.users.member.userId, 'Member')).status).toBe(202);
    const member = await join(h.users.member, id, {});
    expect(member.status).toBe(403);
    expect(member.body.reason).toBe('removed_by_host');
    expect((await remove(id, h.users.host.userId)).status).toBe(202);
    expect((await join(h.users.host, id, {})).status).toBe(200);
  });

  it('closes the lobby to a removed guest: no new knock, and an old ticket brings no token', async () => {
    const { id, link } = await liveMeeting(true);
    const browser = deviceKey();
    const knock = await join(null, id, { name: 'Lou', invite_token: link, device_key: browser });
    expect(knock.status).toBe(202);
    const ticket = knock.body.lobby_ticket as string;
    await h.call(h.users.host, 'POST', `/api/meetings/${id}/lobby/${knock.body.lobby_entry_id}/admit`);
    const admitted = await h.call(null, 'GET', `/api/meetings/${id}/lobby/${ticket}`);
    expect(admitted.status).toBe(200);

    expect((await remove(id, admitted.body.identity as string, 'Lou')).status).toBe(202);
    const replay = await h.call(null, 'GET', `/api/meetings/${id}/lobby/${ticket}`);
    expect(replay.status).toBe(403);
    expect(replay.body.reason).toBe('removed_by_host');
    const again = await join(null, id, { name: 'Lou', invite_token: link, device_key: browser });
    expect(again.status).toBe(403);
    expect(again.body.reason).toBe('removed_by_host');
    expect((await h.call(h.users.host, 'GET', `/api/meetings/${id}/lobby`)).body).toEqual([]);
  });

  it('does not renew the join token of a removed participant', async () => {
    const { id, link } = await liveMeeting();
    const guest = await join(null, id, { name: 'Rea', invite_token: link, device_key: deviceKey() });
    const client = grpcClient(h);
    const refresh = (token: string) => unary(client.refreshJoinToken.bind(client), { token });
    await expect(refresh(guest.body.token as string)).resolves.toMatchObject({ token: expect.any(String) });
    await remove(id, guest.body.identity as string);
    await expect(refresh(guest.body.token as string)).rejects.toMatchObject({
      code: ErrorCode.PERMISSION_DENIED,
    });
    await allow(id, guest.body.identity as string);
    await expect(refresh(guest.body.token as string)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('cannot recognise a guest who sends no device key: each such join is a new guest (the documented limit)', async () => {
    const { id, link } = await liveMeeting();
    const first = await join(null, id, { name: 'Anon', invite_token: link });
    expect((await remove(id, first.body.identity as string)).status).toBe(202);
    const second = await join(null, id, { name: 'Anon', invite_token: link });
    expect(second.status).toBe(200);
    expect(second.body.identity).not.toBe(first.body.identity);
  });

  it('refuses a device key that is not one', async () => {
    const { id, link } = await liveMeeting();
    const bad = await join(null, id, { name: 'X', invite_token: link, device_key: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'device_key', message: expect.any(String) as string }]);
  });
});
