// What the admin dashboard reads from control: live rooms with their participants (signaling's entries in the
// shared kv), the SFU worker holding each room and its byte counters (a real SFU worker's GetStats), and the
// audit log narrowed by actor, action, target and time.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, createLogger, unary } from '@origo/kit';
import { participantsKey, placementKey } from '@origo/kit/bus';
import { freePort } from '@origo/kit/testing';
import { RoomEventType } from '@origo/proto/control-rpc';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { createSfuWorkerService, type SfuWorkerService } from '@origo/sfu';
import { backends, meetingBody, startHarness, type Harness, type TestUser } from './helpers.js';
import { closeGrpcClients, reportEvent } from './support.js';

interface LiveRoom {
  meeting: { id: string; org_id: string; title: string };
  duration_seconds: number;
  participants: Array<{
    sid: string;
    identity: string;
    name: string;
    is_host: boolean;
    joined_at: string;
    media: { bytes_received: number; bytes_sent: number } | null;
  }>;
  media: { worker_id: string; room_sid: string; bytes_received: number; bytes_sent: number } | null;
  media_problem: string | null;
}

describe.each(backends)('admin views: live rooms and audit filters ($name)', (backend) => {
  let h: Harness;
  let sfu: SfuWorkerService;
  let sfuAddress: string;
  let superadmin: TestUser;
  let roomA = '';
  let roomB = '';
  let scheduled = '';
  const startedAt = Date.now() - 90_000;

  const create = async (who: TestUser, orgId: string, title: string): Promise<string> => {
    const res = await h.call(who, 'POST', '/api/meetings', meetingBody({ org_id: orgId, title }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const goLive = (id: string) =>
    reportEvent(h, {
      roomName: id,
      roomSid: `RM_${id.slice(-6)}`,
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 2,
      occurredAtMs: startedAt,
    });
  /** Writes what signaling writes when a room is placed and people join (see @origo/kit/bus room-state). */
  const placeRoom = async (room: string, address: string, workerId: string) =>
    h.busKv.kv.set(
      placementKey(room),
      JSON.stringify({ sid: `RM_${room.slice(-6)}`, address, workerId, createdAt: startedAt }),
    );
  const joinRoom = async (room: string, sid: string, identity: string, name: string, joinedAt: number) =>
    h.busKv.kv.hset(participantsKey(room), {
      [sid]: JSON.stringify({
        nodeId: 'sig-1',
        info: {
          sid,
          identity,
          name,
          state: 1,
          tracks: [],
          joinedAt,
          isHost: identity === h.users.host.userId,
        },
      }),
    });
  const list = async (who: TestUser | null, query = '') => h.call(who, 'GET', `/api/live-rooms${query}`);

  beforeAll(async () => {
    h = await startHarness(backend, `adm${randomUUID().slice(0, 6)}`);
    superadmin = {
      userId: `usr_${randomBytes(16).toString('base64url')}`,
      email: 'root@example.com',
      name: 'Root',
      orgs: {},
      superadmin: true,
    };
    sfu = createSfuWorkerService({
      workerId: 'lr-w0',
      nodeId: 'lr-node',
      logger: createLogger({ service: 'sfu', level: 'silent' }),
      router: { transport: 'ndc' },
    });
    sfuAddress = (await sfu.listen()).grpcAddress;

    roomA = await create(h.users.host, h.orgA, 'Design review');
    roomB = await create(h.users.outsider, h.orgB, 'Other company standup');
    scheduled = await create(h.users.host, h.orgA, 'Tomorrow');
    for (const id of [roomA, roomB]) await goLive(id);

    const client = createGrpcClient(SfuServiceClient, sfuAddress);
    await unary(client.createRouter.bind(client), { roomId: roomA });
    // The host's peer is on the SFU; the member's entry has none yet (still joining).
    await unary(client.createPeer.bind(client), {
      roomId: roomA,
      participantId: 'PA_1',
      iceServers: [],
      canPublish: true,
      canSubscribe: true,
    });
    client.close();
    await placeRoom(roomA, sfuAddress, 'lr-w0');
    await joinRoom(roomA, 'PA_2', h.users.member.userId, 'Member', startedAt + 5_000);
    await joinRoom(roomA, 'PA_1', h.users.host.userId, 'Host', startedAt);
    // Org B's room sits on a worker that is gone.
    await placeRoom(roomB, `127.0.0.1:${await freePort()}`, 'gone-w9');
    await joinRoom(roomB, 'PB_1', h.users.outsider.userId, 'Outsider', startedAt);
  });
  afterAll(async () => {
    closeGrpcClients();
    await sfu?.stop();
    await h?.close();
    await backend.cleanup();
  });

  it("shows an org admin their organization's live rooms with participants, duration and SFU worker", async () => {
    const res = await list(h.users.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const items = res.body.items as LiveRoom[];
    expect(items.map((r) => r.meeting.id)).toEqual([roomA]);
    const room = items[0] as LiveRoom;
    expect(room.meeting.title).toBe('Design review');
    expect(room.duration_seconds).toBeGreaterThanOrEqual(89);
    expect(room.participants.map((p) => [p.name, p.joined_at, p.is_host, p.media])).toEqual([
      ['Host', new Date(startedAt).toISOString(), true, { bytes_received: 0, bytes_sent: 0 }],
      ['Member', new Date(startedAt + 5_000).toISOString(), false, null],
    ]);
    expect(room.media).toMatchObject({
      worker_id: 'lr-w0',
      room_sid: `RM_${roomA.slice(-6)}`,
      bytes_received: 0,
      bytes_sent: 0,
    });
    expect(room.media_problem).toBeNull();
    expect(items.some((r) => r.meeting.id === scheduled)).toBe(false);
  });

  it('shows the superadmin every organization, and says when a room has no answering worker', async () => {
    const all = await list(superadmin);
    expect(all.status).toBe(200);
    const items = all.body.items as LiveRoom[];
    expect(items.map((r) => r.meeting.id).sort()).toEqual([roomA, roomB].sort());
    const b = items.find((r) => r.meeting.id === roomB) as LiveRoom;
    expect(b.media).toBeNull();
    expect(b.media_problem).toContain('gone-w9');
    expect(b.participants.map((p) => p.name)).toEqual(['Outsider']);

    const one = await list(superadmin, `?org_id=${h.orgB}`);
    expect((one.body.items as LiveRoom[]).map((r) => r.meeting.id)).toEqual([roomB]);
  });

  it('refuses members, hosts and admins of another organization', async () => {
    for (const who of [h.users.member, h.users.host]) {
      const res = await list(who);
      expect(res.status).toBe(403);
      expect(res.body.reason).toBe('missing_permission');
    }
    const outsider = await list(h.users.outsider, `?org_id=${h.orgA}`);
    expect(outsider.status).toBe(403);
    expect(outsider.headers.get('content-type')).toContain('application/problem+json');
    expect((await list(null)).status).toBe(401);
  });

  it('refuses bad input with a problem naming the field', async () => {
    const long = await list(h.users.admin, `?org_id=${'x'.repeat(65)}`);
    expect(long.status).toBe(400);
    expect(long.body.errors).toEqual([expect.objectContaining({ field: 'org_id' })]);
    const unknown = await list(h.users.admin, '?state=live');
    expect(unknown.status).toBe(400);
  });

  it('drops a room whose last participant left at once, and lists it again when someone rejoins', async () => {
    // In organization B, so the audit counts of organization A below stay as they are.
    const orgB = `?org_id=${h.orgB}`;
    const emptied = await create(h.users.outsider, h.orgB, 'Everybody left');
    await goLive(emptied);
    await joinRoom(emptied, 'PE_1', h.users.outsider.userId, 'Outsider', Date.now());
    expect((await list(superadmin, orgB)).body.items.map((r: LiveRoom) => r.meeting.id)).toContain(emptied);

    // Signaling removes the entry when the person leaves; the meeting stays live through the empty grace.
    await h.busKv.kv.hdel(participantsKey(emptied), 'PE_1');
    expect((await list(superadmin, orgB)).body.items.map((r: LiveRoom) => r.meeting.id)).toEqual([roomB]);
    const meeting = await h.call(h.users.outsider, 'GET', `/api/meetings/${emptied}`);
    expect(meeting.body.state).toBe('live');

    await joinRoom(emptied, 'PE_2', h.users.outsider.userId, 'Outsider', Date.now());
    const back = (await list(superadmin, orgB)).body.items as LiveRoom[];
    expect(back.find((r) => r.meeting.id === emptied)?.participants.map((p) => p.sid)).toEqual(['PE_2']);
    expect((await h.call(h.users.outsider, 'POST', `/api/meetings/${emptied}/end`)).status).toBe(200);
  });

  it('drops a room from the list once an admin ends it', async () => {
    const extra = await create(h.users.host, h.orgA, 'Ends soon');
    await goLive(extra);
    await joinRoom(extra, 'PX_1', h.users.member.userId, 'Member', Date.now());
    expect((await list(h.users.admin)).body.items.map((r: LiveRoom) => r.meeting.id)).toContain(extra);
    const end = await h.call(h.users.admin, 'POST', `/api/meetings/${extra}/end`);
    expect(end.status).toBe(200);
    const after = (await list(h.users.admin)).body.items as LiveRoom[];
    expect(after.map((r) => r.meeting.id)).toEqual([roomA]);
  });

  it('narrows the audit log by actor, action prefix, target and time range', async () => {
    const base = `/api/audit?org_id=${h.orgA}&limit=200`;
    const all = (await h.call(h.users.admin, 'GET', base)).body.items as Array<{
      actor: string;
      action: string;
      entity_id: string;
      at: string;
    }>;
    expect(new Set(all.map((e) => e.actor)).size).toBeGreaterThan(1);

    const byActor = (await h.call(h.users.admin, 'GET', `${base}&actor=${h.users.host.userId}`)).body.items;
    expect(byActor).toEqual(all.filter((e) => e.actor === h.users.host.userId));
    expect(byActor.length).toBeGreaterThan(0);

    const byAction = (await h.call(h.users.admin, 'GET', `${base}&action=meeting.create`)).body.items;
    expect(byAction).toEqual(all.filter((e) => e.action.startsWith('meeting.create')));
    expect(byAction.length).toBe(3);

    const byTarget = (await h.call(h.users.admin, 'GET', `${base}&entity_id=${roomA}`)).body.items;
    expect(byTarget).toEqual(all.filter((e) => e.entity_id === roomA));

    const newest = all[0];
    if (newest === undefined) throw new Error('no audit events');
    const at = Date.parse(newest.at);
    const window = (
      await h.call(
        h.users.admin,
        'GET',
        `${base}&from=${new Date(at).toISOString()}&to=${new Date(at + 1).toISOString()}`,
      )
    ).body.items;
    expect(window).toEqual(all.filter((e) => e.at === newest.at));

    const bad = await h.call(h.users.admin, 'GET', `${base}&from=last-week`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'from' })]);
    const backwards = await h.call(
      h.users.admin,
      'GET',
      `${base}&from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z`,
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    const member = await h.call(h.users.member, 'GET', `${base}&action=meeting.`);
    expect(member.status).toBe(403);
  });
});
