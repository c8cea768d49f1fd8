// Issue 10: the shared store and bus (the kit's kv/bus; Redis in production) fail while participants publish,
// leave and lose their sockets. Each operation must fail cleanly (an error reply with a clear message, or a
// completed leave), no promise may reject unhandled (the launcher exits the process on one), the node keeps
// serving its other sessions, and once the store answers again the room is whole: tracks published during
// the outage reach the others, those who left are gone, and new participants join.
// Runs on the in-memory store always, and on Redis when REDIS_URL is set; once with calls that fail at once,
// once with calls that hang until their timeout.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, createLogger, unary } from '@origo/kit';
import { captureLogs, waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { SignalClient, type Json } from './helpers/client.js';
import { FaultyBusKv, type FaultMode } from './helpers/faultyStore.js';
import { inProcessSfu, startStack, type Sfu, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';

const DEADLINE = 45_000;
const HANG_MS = 400;

const stores: Array<{ name: string; redisUrl?: string }> = [{ name: 'in-memory store' }];
if (process.env['REDIS_URL']) stores.push({ name: 'Redis', redisUrl: process.env['REDIS_URL'] });
const modes: FaultMode[] = ['reject', 'hang'];
const variants = stores.flatMap((s) => modes.map((mode) => ({ ...s, mode })));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
let sfu: Sfu;
let stack: Stack | undefined;
let store: FaultyBusKv;
let logs: ReturnType<typeof captureLogs>;
let cleanup: Array<() => void> = [];

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  sfu = await inProcessSfu('store-failure');
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await sfu?.stop();
});

afterEach(async () => {
  for (const fn of cleanup.reverse()) fn();
  cleanup = [];
  store?.recover();
  if (stack) {
    // What an outage at shutdown leaves in the store (a placement, a participant list) is dropped here.
    await stack.nodes[0]!.service.close();
    for (const key of await store.kv.scanPrefix('')) await store.kv.del(key);
    await stack.close();
  }
  stack = undefined;
  expect(unhandled.splice(0)).toEqual([]);
});

async function start(redisUrl: string | undefined): Promise<void> {
  logs = captureLogs();
  stack = await startStack({
    sfu,
    ...(redisUrl ? { redisUrl } : {}),
    config: { SIGNAL_RESUME_GRACE_MS: 300, ROOM_EMPTY_GRACE_MS: 300 },
    logger: createLogger({ service: 'signaling', level: 'warn', destination: logs.destination }),
    wrapBusKv: (inner) => (store = new FaultyBusKv(inner)),
  });
}

async function socket(): Promise<SignalClient> {
  const s = await SignalClient.open(stack!.nodes[0]!.wsUrl);
  cleanup.push(() => s.close());
  return s;
}

async function media(identity: string, room: string): Promise<MediaPeer> {
  const p = new MediaPeer(await socket());
  cleanup.push(() => p.close());
  await p.join(await stack!.token(identity, { room }));
  return p;
}

async function joined(identity: string, room: string): Promise<{ c: SignalClient; jr: Json }> {
  const c = await socket();
  const reply = await c.request({ join: { token: await stack!.token(identity, { room }) } });
  const jr = reply['joinResponse'] as Json | undefined;
  if (!jr) throw new Error(`join of ${identity} failed: ${JSON.stringify(reply)}`);
  return { c, jr };
}

const sidOf = (jr: Json): string => (jr['participant'] as Json)['sid'] as string;
const others = (jr: Json): Json[] => jr['otherParticipants'] as Json[];
const errorOf = (reply: Json): Json | undefined => reply['error'] as Json | undefined;

/** A request that goes through the session's queue and the SFU but not the store: is the session served? */
async function served(c: SignalClient): Promise<void> {
  const reply = await c.request({ updateSubscription: { trackSids: ['TR_none'], subscribe: true } });
  expect(errorOf(reply)).toMatchObject({ code: 'ERROR_CODE_NOT_FOUND' });
}

/** Rooms that have a router on the SFU worker. */
async function routedRooms(): Promise<string[]> {
  const client = createGrpcClient(SfuServiceClient, sfu.addresses()[0]!);
  try {
    return (await unary(client.getStats.bind(client), {})).routers.map((r) => r.roomId);
  } finally {
    client.close();
  }
}

/** Log lines about a failed store or bus call, as an operator would grep them. */
function warned(msg: string): Array<Record<string, unknown>> {
  return logs.lines().filter((l) => l['msg'] === msg);
}

describe.each(variants)('the store failing ($name, calls $mode)', ({ redisUrl, mode }) => {
  it('while a track is published: the offer is answered, others see the track once the store is back', async () => {
    await start(redisUrl);
    const room = `publish-${mode}-${Date.now()}`;
    const alice = await media('alice', room);
    const bob = await media('bob', room);

    store.fail({ mode, timeoutMs: HANG_MS });
    await alice.publish();
    // Media reaches the SFU; telling the room about the live track needs the store, which fails.
    await waitFor(() => warned('session task failed').some((l) => l['task'] === 'track live'), {
      timeoutMs: DEADLINE,
      what: 'the failed share of the live track to be logged',
    });
    await served(bob.signal);

    // A request that needs the store answers with an error the client can act on.
    const videoSid = (alice.published.get(alice.videoCid) as Json)['sid'] as string;
    const mute = await alice.signal.request({ muteTrack: { trackSid: videoSid, muted: false } });
    expect(errorOf(mute)).toMatchObject({
      code: 'ERROR_CODE_UNAVAILABLE',
      message: 'media server or room store unavailable, retry',
    });
    expect(bob.media(alice.sid).videoFrames).toBe(0);

    store.recover();
    await waitFor(() => bob.media(alice.sid).videoFrames >= 10, {
      timeoutMs: DEADLINE,
      what: "bob decoding alice's video after the store recovered",
    });
    const carol = await joined('carol', room);
    const aliceSeen = others(carol.jr).find((p) => p['sid'] === alice.sid);
    expect((aliceSeen?.['tracks'] as Json[] | undefined)?.map((t) => t['kind']).sort()).toEqual([
      'TRACK_KIND_AUDIO',
      'TRACK_KIND_VIDEO',
    ]);
    expect(store.failedCalls.length).toBeGreaterThan(0);
  });

  it('while participants leave or lose their socket: the leave completes, and the room is whole again after', async () => {
    await start(redisUrl);
    const room = `leave-${mode}-${Date.now()}`;
    const alice = await joined('alice', room);
    const bob = await joined('bob', room);
    const carol = await joined('carol', room);

    store.fail({ mode, timeoutMs: HANG_MS });
    const left = await alice.c.request({ leave: {} });
    expect(left).toHaveProperty('ack');
    expect((await alice.c.closed).code).toBe(1000);
    bob.c.kill();
    await waitFor(() => warned('session cleanup failed').length + warned('store removal failed').length > 0, {
      timeoutMs: DEADLINE,
      what: 'the failed removal from the store to be logged',
    });
    await served(carol.c);
    // Joining needs the store: refused with a clear error while it fails.
    const early = await socket();
    const refused = await early.request({ join: { token: await stack!.token('dave', { room }) } });
    expect(errorOf(refused)).toMatchObject({
      code: 'ERROR_CODE_UNAVAILABLE',
      message: 'media server or room store unavailable, retry',
    });

    store.recover();
    // Carol hears of both departures, and a newcomer sees only carol.
    for (const sid of [sidOf(alice.jr), sidOf(bob.jr)])
      await carol.c.next(
        (m) => (m['participantLeft'] as Json | undefined)?.['participantSid'] === sid,
        DEADLINE,
      );
    const gone = [sidOf(alice.jr), sidOf(bob.jr)];
    let probes = 0;
    await waitFor(
      async () => {
        const probe = await joined(`probe-${++probes}`, room);
        probe.c.close();
        return others(probe.jr).every((p) => !gone.includes(p['sid'] as string));
      },
      { timeoutMs: DEADLINE, what: 'alice and bob gone from the room list a newcomer gets' },
    );
    const dave = await joined('dave', room);
    expect(others(dave.jr).map((p) => p['sid'])).toContain(sidOf(carol.jr));
    await served(dave.c);
  });

  it('when everyone leaves: the room closes its SFU router once the store answers', async () => {
    await start(redisUrl);
    const room = `empty-${mode}-${Date.now()}`;
    const alice = await joined('alice', room);
    expect(await routedRooms()).toContain(room);
    store.fail({ mode, timeoutMs: HANG_MS });
    await alice.c.request({ leave: {} });
    await waitFor(() => warned('closing empty room failed').length > 0, {
      timeoutMs: DEADLINE,
      what: 'the failed close of the empty room to be logged',
    });
    expect(await routedRooms()).toContain(room);
    store.recover();
    await waitFor(async () => !(await routedRooms()).includes(room), {
      timeoutMs: DEADLINE,
      what: 'the router of the empty room to close',
    });
  });

  it('at shutdown: every client is told to reconnect elsewhere and the node stops', async () => {
    await start(redisUrl);
    const room = `shutdown-${mode}-${Date.now()}`;
    const alice = await joined('alice', room);
    const bob = await joined('bob', room);
    store.fail({ mode, timeoutMs: HANG_MS });
    await stack!.nodes[0]!.service.close();
    for (const c of [alice.c, bob.c]) {
      const notice = await c.next((m) => 'leave' in m, DEADLINE);
      expect(notice['leave']).toMatchObject({ action: 'LEAVE_ACTION_RECONNECT' });
      expect((await c.closed).code).toBe(1001);
    }
    expect(stack!.nodes[0]!.service.stats()).toMatchObject({ connections: 0, sessions: 0 });
  });
});
