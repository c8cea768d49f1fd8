import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomEventType } from '@origo/proto/control-rpc';
import {
  JOIN_TOKEN_AUDIENCE,
  JOIN_TOKEN_ISSUER,
  ROOM_COMMANDS_CHANNEL,
  joinTokenClaimsSchema,
  roomCommandSchema,
  type RoomCommand,
} from '../src/contracts.js';
import { backends, meetingBody, publicJwkOf, startHarness, type Harness, type TestUser } from './helpers.js';
import { ErrorCode, unary } from '@origo/kit';
import { auditRows, closeGrpcClients, grpcClient, reportEvent } from './support.js';

describe.each(backends)('joining, lobby, host controls and room events ($name)', (backend) => {
  let h: Harness;
  const commands: RoomCommand[] = [];
  beforeAll(async () => {
    h = await startHarness(backend, `join${randomUUID().slice(0, 6)}`, {
      passcodeMaxFailures: 3,
      joinTokenTtlSeconds: 120,
    });
    await h.busKv.bus.subscribe(ROOM_COMMANDS_CHANNEL, (message) => {
      commands.push(roomCommandSchema.parse(message));
    });
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
  const join = (who: TestUser | null, id: string, body: Record<string, unknown> = {}) =>
    h.call(who, 'POST', `/api/meetings/${id}/join`, body);
  const goLive = (id: string, participantCount = 1) =>
    reportEvent(h, { roomName: id, type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED, participantCount });

  /** Verifies a join token as signaling will: signature with the public JWK, EdDSA only, audience. */
  async function verifyJoinToken(token: string): Promise<JWTPayload> {
    const key = await importJWK(publicJwkOf(h.joinKey), 'EdDSA');
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      audience: JOIN_TOKEN_AUDIENCE,
      issuer: JOIN_TOKEN_ISSUER,
    });
    expect(protectedHeader.kid).toBe(h.joinKey.kid);
    expect(joinTokenClaimsSchema.safeParse(payload).success).toBe(true);
    return payload;
  }

  it('issues a verifiable join token to a member with the right claims and the signaling URL', async () => {
    const id = await create({ participant_cap: 12 });
    const response = await join(h.users.member, id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ready',
      room: id,
      identity: h.users.member.userId,
      name: 'Member',
      grants: { publish: true, subscribe: true, host: false },
    });
    expect(response.body.signaling_url).toBe(`ws://${new URL(h.url).host}/ws`);
    const claims = await verifyJoinToken(response.body.token);
    expect(claims).toMatchObject({
      sub: h.users.member.userId,
      name: 'Member',
      room: id,
      grants: { publish: true, subscribe: true, host: false },
      max_participants: 12,
    });
    const now = Math.floor(Date.now() / 1000);
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(claims.exp!).toBeGreaterThan(now);
    expect(new Date(response.body.expires_at).getTime()).toBe(claims.exp! * 1000);
    expect(decodeProtectedHeader(response.body.token).alg).toBe('EdDSA');

    // The token is bound to its audience and signature.
    const key = await importJWK(publicJwkOf(h.joinKey), 'EdDSA');
    await expect(jwtVerify(response.body.token, key, { audience: 'origo' })).rejects.toThrow();
    const [head, body] = response.body.token.split('.');
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString());
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...forged, grants: { publish: true, subscribe: true, host: true } })).toString('base64url')}.${response.body.token.split('.')[2]}`;
    await expect(jwtVerify(tampered, key, { audience: JOIN_TOKEN_AUDIENCE })).rejects.toThrow();
  });

  it('gives host grants to the meeting host and to org admins, not to other hosts', async () => {
    const id = await create();
    for (const [who, host] of [
      [h.users.host, true],
      [h.users.admin, true],
      [h.users.otherHost, false],
    ] as const) {
      const response = await join(who, id);
      expect(response.status).toBe(200);
      expect((await verifyJoinToken(response.body.token))['grants']).toEqual({
        publish: true,
        subscribe: true,
        host,
      });
    }
  });

  it('uses the X-Forwarded host and protocol for the signaling URL behind the gateway', async () => {
    const id = await create();
    const response = await h.call(
      h.users.member,
      'POST',
      `/api/meetings/${id}/join`,
      {},
      { 'x-forwarded-host': 'meet.example.org', 'x-forwarded-proto': 'https' },
    );
    expect(response.body.signaling_url).toBe('wss://meet.example.org/ws');
  });

  it('refuses cancelled and ended meetings', async () => {
    const cancelled = await create();
    await h.call(h.users.host, 'POST', `/api/meetings/${cancelled}/cancel`);
    const r1 = await join(h.users.member, cancelled);
    expect(r1.status).toBe(412);
    expect(r1.body.reason).toBe('meeting_cancelled');

    const ended = await create();
    await goLive(ended);
    const end = await h.call(h.users.host, 'POST', `/api/meetings/${ended}/end`);
    expect(end.body.state).toBe('ended');
    const r2 = await join(h.users.member, ended);
    expect(r2.status).toBe(412);
    expect(r2.body.reason).toBe('meeting_ended');
    const r3 = await join(h.users.host, ended);
    expect(r3.status).toBe(412);
  });

  it('lets only hosts into a locked meeting', async () => {
    const id = await create();
    await h.call(h.users.host, 'POST', `/api/meetings/${id}/lock`, { locked: true });
    const member = await join(h.users.member, id);
    expect(member.status).toBe(412);
    expect(member.body.reason).toBe('meeting_locked');
    expect((await join(h.users.host, id)).status).toBe(200);
    await h.call(h.users.host, 'POST', `/api/meetings/${id}/lock`, { locked: false });
    expect((await join(h.users.member, id)).status).toBe(200);
  });

  it('refuses a join when the participant cap is reached', async () => {
    const id = await create({ participant_cap: 2 });
    await goLive(id, 1);
    expect((await join(h.users.member, id)).status).toBe(200);
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantCount: 2,
      participantIdentity: h.users.member.userId,
    });
    const full = await join(h.users.admin, id);
    expect(full.status).toBe(412);
    expect(full.body.reason).toBe('meeting_full');
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT,
      participantCount: 1,
      participantIdentity: h.users.member.userId,
    });
    expect((await join(h.users.admin, id)).status).toBe(200);
  });

  it('makes non-hosts wait for the host when join-before-host is off', async () => {
    const id = await create({ join_before_host: false });
    const early = await join(h.users.member, id);
    expect(early.status).toBe(412);
    expect(early.body.reason).toBe('waiting_for_host');
    expect((await join(h.users.host, id)).status).toBe(200);
    await goLive(id);
    expect((await join(h.users.member, id)).status).toBe(200);
  });

  it('checks the passcode for guests, throttles guessing, and never needs it for members', async () => {
    const id = await create({ passcode: 'open1234' });
    const missing = await join(null, id, { name: 'Visitor' });
    expect(missing.status).toBe(403);
    expect(missing.body.reason).toBe('passcode_required');
    const wrong = await join(null, id, { name: 'Visitor', passcode: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.reason).toBe('wrong_passcode');
    const right = await join(null, id, { name: 'Visitor', passcode: 'open1234' });
    expect(right.status).toBe(200);
    const claims = await verifyJoinToken(right.body.token);
    expect(claims.sub).toMatch(/^gst_/);
    expect(claims['name']).toBe('Visitor');
    expect(claims['grants']).toEqual({ publish: true, subscribe: true, host: false });
    const nameless = await join(null, id, { passcode: 'open1234' });
    expect(nameless.status).toBe(400);
    expect((await join(h.users.member, id)).status).toBe(200);
    // An outsider signed in is a guest too: the passcode lets them in.
    expect((await join(h.users.outsider, id, { passcode: 'open1234' })).status).toBe(200);

    // Three wrong guesses from one address (the limit in this test), then 429 even for the right one.
    const guarded = await create({ passcode: 'guarded99' });
    for (let i = 0; i < 3; i++)
      expect((await join(null, guarded, { name: 'Guess', passcode: `bad${i}` })).status).toBe(403);
    const blocked = await join(null, guarded, { name: 'Guess', passcode: 'guarded99' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.reason).toBe('too_many_attempts');
  });

  it('admits guests by invitation: link token or verified e-mail; revoked and reissued tokens stop working', async () => {
    const id = await create();
    const anonymous = await join(null, id, { name: 'Nobody' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.reason).toBe('credentials_required');
    const outsider = await join(h.users.outsider, id);
    expect(outsider.status).toBe(403);
    expect(outsider.body.reason).toBe('not_invited');

    const invited = await h.call(h.users.host, 'POST', `/api/meetings/${id}/invitations`, {
      emails: ['Guest@Example.com', 'friend@example.com'],
    });
    expect(invited.status).toBe(201);
    expect(invited.body.map((i: { email: string }) => i.email)).toEqual([
      'guest@example.com',
      'friend@example.com',
    ]);
    expect(invited.body[1].invite_url).toBe(
      `http://origo.test/join/${id}#invite=${invited.body[1].invite_token}`,
    );

    // The guest user signs in with the invited (verified) address.
    const guest = await join(h.users.guest, id);
    expect(guest.status).toBe(200);
    expect((await verifyJoinToken(guest.body.token)).sub).toBe(h.users.guest.userId);

    // The friend follows the link without an account.
    const token = invited.body[1].invite_token as string;
    expect((await join(null, id, { name: 'Friend', invite_token: token })).status).toBe(200);

    // Re-inviting issues a new token; the old one stops working.
    const again = await h.call(h.users.host, 'POST', `/api/meetings/${id}/invitations`, {
      emails: ['friend@example.com'],
    });
    const stale = await join(null, id, { name: 'Friend', invite_token: token });
    expect(stale.status).toBe(403);
    expect(stale.body.reason).toBe('invalid_invitation');
    const fresh = again.body[0].invite_token as string;
    expect((await join(null, id, { name: 'Friend', invite_token: fresh })).status).toBe(200);
    await h.call(h.users.host, 'DELETE', `/api/meetings/${id}/invitations/${again.body[0].id}`);
    const revoked = await join(null, id, { name: 'Friend', invite_token: fresh });
    expect(revoked.status).toBe(403);
    expect(revoked.body.reason).toBe('invitation_expired');

    // An invitation to one meeting opens no other.
    const other = await create();
    expect((await join(h.users.guest, other)).status).toBe(403);
    const invitations = await h.call(h.users.host, 'GET', `/api/meetings/${id}/invitations`);
    expect(invitations.body.map((i: { status: string }) => i.status)).toEqual(['pending', 'revoked']);
    expect(JSON.stringify(invitations.body)).not.toContain(fresh);
  });

  it('runs the lobby: waiting -> admitted -> token, and waiting -> denied', async () => {
    const id = await create({ lobby_enabled: true });
    const invited = await h.call(h.users.host, 'POST', `/api/meetings/${id}/invitations`, {
      emails: ['one@example.com', 'two@example.com'],
    });
    const [one, two] = invited.body as Array<{ invite_token: string }>;

    // Members skip the lobby.
    expect((await join(h.users.member, id)).status).toBe(200);

    const waiting = await join(null, id, { name: 'Waiting One', invite_token: one!.invite_token });
    expect(waiting.status).toBe(202);
    expect(waiting.body).toMatchObject({ status: 'waiting', poll_interval_ms: 2000, meeting: { id } });
    const ticket = waiting.body.lobby_ticket as string;
    const poll = () => h.call(null, 'GET', `/api/meetings/${id}/lobby/${ticket}`);
    expect((await poll()).body.status).toBe('waiting');

    const lobby = await h.call(h.users.host, 'GET', `/api/meetings/${id}/lobby`);
    expect(lobby.body).toHaveLength(1);
    expect(lobby.body[0]).toMatchObject({
      id: waiting.body.lobby_entry_id,
      display_name: 'Waiting One',
      status: 'waiting',
    });
    expect(JSON.stringify(lobby.body)).not.toContain(ticket);

    const admitted = await h.call(
      h.users.host,
      'POST',
      `/api/meetings/${id}/lobby/${waiting.body.lobby_entry_id}/admit`,
    );
    expect(admitted.status).toBe(200);
    expect(admitted.body.status).toBe('admitted');
    const ready = await poll();
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    const claims = await verifyJoinToken(ready.body.token);
    expect(claims).toMatchObject({
      room: id,
      name: 'Waiting One',
      grants: { publish: true, subscribe: true, host: false },
    });
    expect(claims.sub).toBe(lobby.body[0].identity);
    // Deciding twice is refused.
    expect(
      (await h.call(h.users.host, 'POST', `/api/meetings/${id}/lobby/${waiting.body.lobby_entry_id}/deny`))
        .status,
    ).toBe(412);

    const second = await join(null, id, { name: 'Waiting Two', invite_token: two!.invite_token });
    await h.call(h.users.admin, 'POST', `/api/meetings/${id}/lobby/${second.body.lobby_entry_id}/deny`);
    const denied = await h.call(null, 'GET', `/api/meetings/${id}/lobby/${second.body.lobby_ticket}`);
    expect(denied.status).toBe(403);
    expect(denied.body.reason).toBe('lobby_denied');
    expect((await h.call(h.users.host, 'GET', `/api/meetings/${id}/lobby`)).body).toEqual([]);

    const rows = await auditRows(h, waiting.body.lobby_entry_id);
    expect(rows.map((r) => r.action)).toEqual(['lobby_entry.create', 'lobby_entry.admit']);
    expect(rows[1]?.actor).toBe(h.users.host.userId);
    expect(JSON.stringify(rows)).not.toContain(ticket);
  });

  it('keeps the meeting state in step with signaling room events, idempotently', async () => {
    const id = await create();
    const eventId = randomUUID();
    const started = await reportEvent(h, {
      eventId,
      roomName: id,
      roomSid: 'RM_a',
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 1,
    });
    expect(started).toEqual({ applied: true, meetingState: 'live' });
    const retried = await reportEvent(h, {
      eventId,
      roomName: id,
      roomSid: 'RM_a',
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 1,
    });
    expect(retried).toEqual({ applied: false, meetingState: 'live' });
    await reportEvent(h, {
      roomName: id,
      roomSid: 'RM_a',
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantCount: 3,
      participantIdentity: 'usr_x',
    });
    const live = await h.call(h.users.member, 'GET', `/api/meetings/${id}`);
    expect(live.body).toMatchObject({ state: 'live', participant_count: 3 });
    expect(live.body.started_at).not.toBeNull();
    // An event of an older room instance changes nothing.
    const stale = await reportEvent(h, {
      roomName: id,
      roomSid: 'RM_old',
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED,
    });
    expect(stale.applied).toBe(false);
    const ended = await reportEvent(h, {
      roomName: id,
      roomSid: 'RM_a',
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED,
      reason: 'empty',
    });
    expect(ended).toEqual({ applied: true, meetingState: 'ended' });
    const after = await h.call(h.users.member, 'GET', `/api/meetings/${id}`);
    expect(after.body).toMatchObject({ state: 'ended', participant_count: 0 });
    const rows = await auditRows(h, id);
    expect(rows.filter((r) => r.actor === 'service:signaling').map((r) => r.action)).toEqual([
      'meeting.room_started',
      'meeting.room_ended',
    ]);
    // A join is audited as the person who joined, reported by signaling.
    expect(rows.filter((r) => r.actor === 'usr_x').map((r) => [r.action, r.after])).toEqual([
      [
        'meeting.participant_joined',
        {
          participantIdentity: 'usr_x',
          participantName: '',
          participantCount: 3,
          reportedBy: 'service:signaling',
        },
      ],
    ]);
  });

  it('audits every join and leave once, by the person with their display name, guests included', async () => {
    const id = await create();
    await goLive(id, 0);
    // A guest's identity names nobody in auth: the name from the join token is all there is.
    const guestId = `gst_${randomUUID().replaceAll('-', '')}`;
    const joined = {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantCount: 1,
      participantIdentity: guestId,
      participantName: 'Grace Guest',
    };
    const eventId = randomUUID();
    await reportEvent(h, { ...joined, eventId });
    // A retry of the same event writes nothing more.
    await reportEvent(h, { ...joined, eventId });
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantCount: 2,
      participantIdentity: h.users.member.userId,
      participantName: 'Mia Member',
    });
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT,
      participantCount: 1,
      participantIdentity: guestId,
      participantName: 'Grace Guest',
      reason: 'client_initiated',
    });
    const rows = (await auditRows(h, id)).filter((r) => r.action.startsWith('meeting.participant_'));
    expect(
      rows.map((r) => [r.action, r.actor, (r.after as { participantName: string }).participantName]),
    ).toEqual([
      ['meeting.participant_joined', guestId, 'Grace Guest'],
      ['meeting.participant_joined', h.users.member.userId, 'Mia Member'],
      ['meeting.participant_left', guestId, 'Grace Guest'],
    ]);
    expect(rows[2]!.after).toMatchObject({ participantCount: 1, reason: 'client_initiated' });
    // The organization's audit log lists them, and a filter on the person finds theirs.
    const page = await h.call(h.users.admin, 'GET', `/api/audit?org_id=${h.orgA}&actor=${guestId}`);
    expect(page.status).toBe(200);
    expect((page.body.items as Array<{ action: string }>).map((e) => e.action)).toEqual([
      'meeting.participant_left',
      'meeting.participant_joined',
    ]);
  });

  it('returns a recurring meeting to scheduled when its room ends and occurrences remain', async () => {
    const id = await create({
      starts_at: new Date(Date.now() - 3_600_000).toISOString(),
      recurrence: { rrule: 'FREQ=DAILY;COUNT=10' },
    });
    await goLive(id);
    const ended = await reportEvent(h, { roomName: id, type: RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED });
    expect(ended.meetingState).toBe('scheduled');
    expect((await join(h.users.member, id)).status).toBe(200);
  });

  it('renews a join token it issued with the same claims, and refuses forged or over tokens', async () => {
    const id = await create();
    const first = await join(h.users.member, id);
    const client = grpcClient(h);
    const refresh = (token: string) => unary(client.refreshJoinToken.bind(client), { token });
    const renewed = await refresh(first.body.token as string);
    const before = await verifyJoinToken(first.body.token as string);
    const after = await verifyJoinToken(renewed.token);
    expect(after).toMatchObject({ sub: before.sub, name: before.name, room: id, grants: before.grants });
    expect(after.jti).not.toBe(before.jti);
    expect(renewed.expiresAtMs).toBe((after.exp as number) * 1000);
    // A token signed by anyone else, or garbage, is refused.
    const [head, body] = (first.body.token as string).split('.');
    await expect(refresh(`${head}.${body}.${'A'.repeat(86)}`)).rejects.toMatchObject({
      code: ErrorCode.UNAUTHENTICATED,
    });
    await expect(refresh('not a token')).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
    await expect(refresh('')).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    // Once the meeting is cancelled there is nothing to rejoin.
    expect((await h.call(h.users.host, 'POST', `/api/meetings/${id}/cancel`)).status).toBe(200);
    await expect(refresh(renewed.token)).rejects.toMatchObject({ code: ErrorCode.FAILED_PRECONDITION });
  });

  it("tells other services a meeting's organization, host and title, and nothing for unknown ids", async () => {
    const id = await create();
    const client = grpcClient(h);
    const get = (meetingId: string) => unary(client.getMeeting.bind(client), { meetingId });
    const meeting = (await h.call(h.users.host, 'GET', `/api/meetings/${id}`)).body;
    expect(await get(id)).toEqual({
      meetingId: id,
      orgId: meeting['org_id'],
      hostId: meeting['host_id'],
      title: meeting['title'],
    });
    await expect(get('mtg_AAAAAAAAAAAAAAAAAAAAAA')).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(get('not a meeting')).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('refuses malformed room events and unknown meetings with canonical gRPC errors', async () => {
    await expect(
      reportEvent(h, { roomName: 'not-a-meeting', type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED }),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
    });
    const id = await create();
    await expect(
      reportEvent(h, { roomName: id, type: RoomEventType.ROOM_EVENT_TYPE_UNSPECIFIED }),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(
      reportEvent(h, { roomName: `mtg_${'z'.repeat(22)}`, type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED }),
    ).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
  });

  it('publishes host controls to signaling on room-commands with the documented payload', async () => {
    const id = await create();
    const notLive = await h.call(
      h.users.host,
      'POST',
      `/api/meetings/${id}/participants/${h.users.member.userId}/mute`,
      {},
    );
    expect(notLive.status).toBe(412);
    expect(notLive.body.reason).toBe('meeting_not_live');
    await goLive(id, 2);
    commands.length = 0;

    const mute = await h.call(
      h.users.host,
      'POST',
      `/api/meetings/${id}/participants/${h.users.member.userId}/mute`,
      { track_sid: 'TR_audio' },
      { 'x-request-id': 'req-mute' },
    );
    expect(mute.status).toBe(202);
    expect(mute.body).toMatchObject({ type: 'mute_participant', status: 'sent' });
    await h.call(h.users.host, 'POST', `/api/meetings/${id}/participants/${h.users.member.userId}/remove`);
    await h.call(h.users.host, 'POST', `/api/meetings/${id}/lock`, { locked: true });
    await h.call(h.users.host, 'POST', `/api/meetings/${id}/end`);

    const live2 = await create();
    await goLive(live2);
    await h.call(h.users.admin, 'POST', `/api/meetings/${live2}/cancel`);

    // Over the bus (Redis in the db suite): wait for all five, in order.
    await expect
      .poll(() => commands.map((c) => [c.type, c.room]), { timeout: 10_000 })
      .toEqual([
        ['mute_participant', id],
        ['remove_participant', id],
        ['set_room_lock', id],
        ['end_room', id],
        ['end_room', live2],
      ]);
    expect(commands[0]).toMatchObject({
      v: 1,
      command_id: mute.body.command_id,
      identity: h.users.member.userId,
      track_sid: 'TR_audio',
      issued_by: h.users.host.userId,
      request_id: 'req-mute',
    });
    expect(commands[2]).toMatchObject({ locked: true });
    expect(commands[3]).toMatchObject({ reason: 'host_ended', by: 'host' });
    expect(commands[4]).toMatchObject({ reason: 'meeting_cancelled', issued_by: h.users.admin.userId });
    const rows = await auditRows(h, id);
    expect(rows.map((r) => r.action)).toContain('meeting.participant_muted');
    expect(rows.map((r) => r.action)).toContain('meeting.participant_removed');
  });

  it('tells signaling that an administrator, not the host, ended a room an admin ended', async () => {
    const id = await create();
    await goLive(id, 2);
    commands.length = 0;
    const ended = await h.call(h.users.admin, 'POST', `/api/meetings/${id}/end`);
    expect(ended.status).toBe(200);
    await expect.poll(() => commands.map((c) => c.type), { timeout: 10_000 }).toEqual(['end_room']);
    expect(commands[0]).toMatchObject({
      room: id,
      reason: 'host_ended',
      by: 'admin',
      issued_by: h.users.admin.userId,
    });
  });
});
