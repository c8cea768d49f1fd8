// Room lifecycle and host actions over the real tier (signaling + in-process SFU worker), without
// media: who hears about whom, what hosts may do, when rooms close, resume rules, ICE servers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { CLOSE, turnCredentials, verifyTurnCredentials } from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

let stack: Stack;
let sockets: SignalClient[] = [];

async function joined(
  identity: string,
  grants = { publish: true, subscribe: true, host: false },
  room = 'room-1',
): Promise<{ c: SignalClient; jr: Json }> {
  const c = await SignalClient.open(stack.nodes[0]!.wsUrl);
  sockets.push(c);
  const reply = await c.request({ join: { token: await stack.token(identity, { room, grants }) } });
  const jr = reply['joinResponse'] as Json | undefined;
  if (!jr) throw new Error(`join failed: ${JSON.stringify(reply)}`);
  return { c, jr };
}

const sidOf = (jr: Json): string => (jr['participant'] as Json)['sid'] as string;
const leftOf =
  (sid: string) =>
  (m: Json): boolean =>
    (m['participantLeft'] as Json | undefined)?.['participantSid'] === sid;

async function routers(): Promise<number> {
  const client = createGrpcClient(SfuServiceClient, stack.sfu.addresses()[0]!);
  try {
    return (await unary(client.getStats.bind(client), {})).routers.length;
  } finally {
    client.close();
  }
}

beforeEach(async () => {
  stack = await startStack({
    config: {
      TURN_URLS: ['turn:turn.example.org:3478?transport=udp'],
      STUN_URLS: ['stun:stun.example.org:3478'],
      TURN_TTL_SECONDS: 120,
    },
    turnSecret: 'shared-turn-secret',
  });
});

afterEach(async () => {
  for (const s of sockets) s.close();
  sockets = [];
  await stack.close();
});

describe('rooms', () => {
  it('announces joins to those present and lists those present to the newcomer', async () => {
    const a = await joined('alice');
    const b = await joined('bob');
    expect((b.jr['otherParticipants'] as Json[]).map((p) => p['identity'])).toEqual(['alice']);
    const seen = await a.c.next((m) => 'participantJoined' in m);
    expect(((seen['participantJoined'] as Json)['participant'] as Json)['identity']).toBe('bob');
    expect(b.jr['room']).toMatchObject({ name: 'room-1' });
    expect((a.jr['room'] as Json)['sid']).toBe((b.jr['room'] as Json)['sid']);
    expect(b.jr['pingIntervalMs']).toBeGreaterThan(0);
  });

  it('gives STUN and expiring TURN REST credentials that verify with HMAC-SHA1', async () => {
    const { jr } = await joined('alice');
    const servers = jr['iceServers'] as Array<{ urls: string[]; username?: string; credential?: string }>;
    expect(servers[0]!.urls).toEqual(['stun:stun.example.org:3478']);
    const turn = servers[1]!;
    expect(turn.urls).toEqual(['turn:turn.example.org:3478?transport=udp']);
    const [expiry, identity] = turn.username!.split(':');
    expect(identity).toBe('alice');
    const ttl = Number(expiry) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    expect(verifyTurnCredentials('shared-turn-secret', turn.username!, turn.credential!)).toBe(true);
    expect(verifyTurnCredentials('another-secret', turn.username!, turn.credential!)).toBe(false);
    expect(
      verifyTurnCredentials(
        'shared-turn-secret',
        turn.username!,
        turn.credential!,
        (Number(expiry) + 1) * 1000,
      ),
    ).toBe(false);
    // The credential is base64(HMAC-SHA1(secret, username)); vector computed with openssl dgst -sha1 -hmac.
    const fixed = turnCredentials('secret', 'bob', 600, 1_700_000_000_000);
    expect(fixed.username).toBe('1700000600:bob');
    expect(fixed.credential).toBe('A4qB3L6nx48uMwd81/6lNO/4m48=');
  });

  it('lets a host mute, remove and end; refuses the same from a non-host', async () => {
    const host = await joined('hannah', { publish: true, subscribe: true, host: true });
    const guest = await joined('gary');
    const other = await joined('olga');
    const guestSid = sidOf(guest.jr);

    const denied = await other.c.request({ removeParticipant: { participantSid: guestSid } });
    expect((denied['error'] as Json)['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    const deniedEnd = await other.c.request({ endRoom: {} });
    expect((deniedEnd['error'] as Json)['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    const unknown = await host.c.request({ removeParticipant: { participantSid: 'PA_nobody' } });
    expect((unknown['error'] as Json)['code']).toBe('ERROR_CODE_NOT_FOUND');
    const mute = await host.c.request({ muteParticipant: { participantSid: guestSid, trackSid: '' } });
    expect(mute).toHaveProperty('ack');

    expect(await host.c.request({ removeParticipant: { participantSid: guestSid } })).toHaveProperty('ack');
    const notice = await guest.c.next((m) => 'leave' in m);
    expect(notice['leave']).toMatchObject({
      reason: 'DISCONNECT_REASON_REMOVED_BY_HOST',
      action: 'LEAVE_ACTION_DISCONNECT',
    });
    expect((await guest.c.closed).code).toBe(CLOSE.NORMAL);
    const left = await other.c.next(leftOf(guestSid));
    expect((left['participantLeft'] as Json)['reason']).toBe('DISCONNECT_REASON_REMOVED_BY_HOST');

    expect(await host.c.request({ endRoom: {} })).toHaveProperty('ack');
    for (const c of [host.c, other.c]) {
      const ended = await c.next((m) => 'roomEnded' in m);
      expect(ended['roomEnded']).toEqual({ reason: 'ROOM_END_REASON_ENDED_BY_HOST' });
      await c.closed;
    }
    await waitFor(async () => (await routers()) === 0, {
      timeoutMs: 10_000,
      what: 'router closed after end_room',
    });
  });

  it('closes the SFU router only after the room stayed empty for the grace period', async () => {
    const a = await joined('alice');
    expect(await routers()).toBe(1);
    a.c.send({ leave: {} });
    await a.c.closed;
    // Rejoining within the grace keeps the same router (and room sid).
    const again = await joined('alice');
    expect((again.jr['room'] as Json)['sid']).toBe((a.jr['room'] as Json)['sid']);
    again.c.send({ leave: {} });
    await again.c.closed;
    await waitFor(async () => (await routers()) === 0, { timeoutMs: 10_000, what: 'empty room closed' });
    const fresh = await joined('alice');
    expect((fresh.jr['room'] as Json)['sid']).not.toBe((a.jr['room'] as Json)['sid']);
  });

  it('replaces an older session of the same identity', async () => {
    const first = await joined('alice');
    const watcher = await joined('walter');
    const second = await joined('alice');
    const notice = await first.c.next((m) => 'leave' in m);
    expect((notice['leave'] as Json)['reason']).toBe('DISCONNECT_REASON_DUPLICATE_IDENTITY');
    await first.c.closed;
    await watcher.c.next(leftOf(sidOf(first.jr)));
    expect(sidOf(second.jr)).not.toBe(sidOf(first.jr));
  });

  it('resumes within the grace, refuses a wrong secret, and gives up after the grace', async () => {
    const a = await joined('alice');
    const b = await joined('bob');
    const sessionId = a.jr['sessionId'] as string;
    const secret = a.jr['resumeSecret'] as string;
    a.c.kill();
    const updated = await b.c.next(
      (m) =>
        ((m['participantUpdated'] as Json | undefined)?.['participant'] as Json | undefined)?.['state'] ===
        'PARTICIPANT_STATE_RECONNECTING',
    );
    expect(updated).toBeDefined();

    const thief = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(thief);
    const stolen = await thief.request({
      join: { token: await stack.token('mallory'), resume: { sessionId, resumeSecret: secret } },
    });
    expect((stolen['error'] as Json)['code']).toBe('ERROR_CODE_RESUME_FAILED');
    const wrong = await thief.request({
      join: { token: await stack.token('alice'), resume: { sessionId, resumeSecret: 'guess' } },
    });
    expect((wrong['error'] as Json)['code']).toBe('ERROR_CODE_RESUME_FAILED');

    const back = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(back);
    const resumed = await back.request({
      join: { token: await stack.token('alice'), resume: { sessionId, resumeSecret: secret } },
    });
    expect(resumed['resumed']).toMatchObject({
      participant: { sid: sidOf(a.jr), state: 'PARTICIPANT_STATE_ACTIVE' },
    });
    await back.ping();
    expect(b.c.received.some(leftOf(sidOf(a.jr)))).toBe(false);

    // Drop again and stay away: after the grace everyone hears it, and resuming is refused.
    back.kill();
    const left = await b.c.next(leftOf(sidOf(a.jr)), 10_000, 'alice lost');
    expect((left['participantLeft'] as Json)['reason']).toBe('DISCONNECT_REASON_CONNECTION_LOST');
    const late = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(late);
    const refused = await late.request({
      join: {
        token: await stack.token('alice'),
        resume: { sessionId, resumeSecret: (resumed['resumed'] as Json)['resumeSecret'] as string },
      },
    });
    expect((refused['error'] as Json)['code']).toBe('ERROR_CODE_RESUME_FAILED');
  });

  it('refuses requests beyond the grants of the token', async () => {
    const viewer = await joined('vera', { publish: false, subscribe: true, host: false });
    const r = await viewer.c.request({
      addTrack: { cid: 'cam', kind: 'TRACK_KIND_VIDEO', source: 'TRACK_SOURCE_CAMERA' },
    });
    expect((r['error'] as Json)['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    const p = await viewer.c.request({ publishOffer: { sdp: 'v=0\r\n', id: 1 } });
    expect((p['error'] as Json)['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    const nothing = await viewer.c.request({
      updateSubscription: { trackSids: ['TR_missing'], subscribe: true },
    });
    expect((nothing['error'] as Json)['code']).toBe('ERROR_CODE_NOT_FOUND');
    await viewer.c.ping();
  });
});
