// Issue 17: a signaling node that stops beating (killed, or cut off from the store) leaves its participants
// in the shared store. The nodes still serving the room announce them gone exactly once between them, close
// their SFU peers (and so the consumers of their tracks), report the leave to control, and a new joiner does
// not see them. Three nodes in this process share one store and bus; node B's heartbeat writes are made to
// fail, with a short node TTL from the config. Runs on the in-memory store always, and on Redis when
// REDIS_URL is set.
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { RoomEventType } from '@origo/proto/control-rpc';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { createBusKv } from '@origo/kit/bus';
import {
  createSignalingService,
  localKeySource,
  signalingConfig,
  type RoomEventReport,
  type RoomEventReporter,
} from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { FaultyBusKv } from './helpers/faultyStore.js';
import { logger, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';

const variants: Array<{ name: string; redisUrl?: string }> = [{ name: 'in-memory store' }];
if (process.env['REDIS_URL']) variants.push({ name: 'Redis', redisUrl: process.env['REDIS_URL'] });

/** Bounds every wait; the machine may be loaded. The node TTL below is what makes the test quick. */
const DEADLINE = 45_000;
const NODE_TTL_MS = 600;

let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Keeps every report a node would send to control. */
function recordingReporter(): RoomEventReporter & { reports: RoomEventReport[] } {
  const reports: RoomEventReport[] = [];
  return {
    reports,
    report: (event) => void reports.push(event),
    refreshJoinToken: () => Promise.resolve(null),
    close: () => undefined,
  };
}

async function router(address: string, room: string) {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    const stats = await unary(client.getStats.bind(client), {});
    return stats.routers.find((r) => r.roomId === room);
  } finally {
    client.close();
  }
}

const leftOf =
  (sid: string) =>
  (m: Json): boolean =>
    (m['participantLeft'] as Json | undefined)?.['participantSid'] === sid;

describe.each(variants)('a signaling node that stops beating ($name)', ({ redisUrl }) => {
  it('has its participant announced gone once, its SFU peer closed and the leave reported', async () => {
    const stores: FaultyBusKv[] = [];
    const reporter = recordingReporter();
    const stack: Stack = await startStack({
      nodes: 3,
      reporter,
      config: { SIGNALING_NODE_TTL_MS: NODE_TTL_MS },
      wrapBusKv: (inner) => {
        const store = new FaultyBusKv(inner);
        stores.push(store);
        return store;
      },
      ...(redisUrl ? { redisUrl } : {}),
    });
    cleanup.push(() => stack.close());
    const [nodeA, nodeB, nodeC] = stack.nodes;
    const storeB = stores[1]!;
    const room = `node-loss-${Date.now()}`;
    const sfuAddress = stack.sfu.addresses()[0]!;

    const open = async (url: string): Promise<SignalClient> => {
      const client = await SignalClient.open(url);
      cleanup.push(() => client.close());
      return client;
    };
    const a = await open(nodeA!.wsUrl);
    const alice = new MediaPeer(a);
    cleanup.push(() => alice.close());
    await alice.join(await stack.token('alice', { room }));
    const c = await open(nodeC!.wsUrl);
    await c.request({ join: { token: await stack.token('carol', { room }) } });
    const b = await open(nodeB!.wsUrl);
    const bob = new MediaPeer(b);
    cleanup.push(() => bob.close());
    await bob.join(await stack.token('bob', { room }));
    await bob.publish({ simulcast: false });
    await waitFor(() => alice.media(bob.sid).videoFrames >= 5, {
      timeoutMs: DEADLINE,
      what: 'alice (node A) decodes bob (node B)',
    });
    expect((await router(sfuAddress, room))?.peerCount).toBe(3);

    // Node B keeps running and serving its socket, but its liveness mark can no longer be written.
    storeB.fail({
      mode: 'reject',
      only: (call, key) =>
        (call === 'kv.set' || call === 'kv.expire') && key?.startsWith('signal:node:') === true,
    });

    await a.next(leftOf(bob.sid), DEADLINE, 'participantLeft for bob on node A');
    await c.next(leftOf(bob.sid), DEADLINE, 'participantLeft for bob on node C');
    // Node B hears its own participant announced gone and sends the client to rejoin.
    const notice = await b.next((m) => 'leave' in m, DEADLINE, 'leave for bob on node B');
    expect(notice['leave']).toMatchObject({
      reason: 'DISCONNECT_REASON_CONNECTION_LOST',
      action: 'LEAVE_ACTION_RECONNECT',
    });
    // Bob's peer is closed on the SFU, and with it his tracks and alice's consumers of them.
    await waitFor(
      async () => {
        const r = await router(sfuAddress, room);
        return r?.peerCount === 2 && r.producerCount === 0 && r.consumerCount === 0;
      },
      { timeoutMs: DEADLINE, what: "bob's SFU peer, tracks and consumers closed" },
    );

    // A newcomer does not get the ghost in its join response.
    const d = await open(nodeA!.wsUrl);
    const joined = await d.request({ join: { token: await stack.token('dave', { room }) } });
    const others = ((joined['joinResponse'] as Json)['otherParticipants'] as Json[]).map(
      (p) => p['identity'],
    );
    expect(others.sort()).toEqual(['alice', 'carol']);

    // Announced once, whichever of A and C saw it first; and reported to control once, with the count.
    expect(a.received.filter(leftOf(bob.sid))).toHaveLength(1);
    expect(c.received.filter(leftOf(bob.sid))).toHaveLength(1);
    const leaves = reporter.reports.filter(
      (r) => r.type === RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT && r.participantIdentity === 'bob',
    );
    expect(leaves).toHaveLength(1);
    expect(leaves[0]).toMatchObject({ roomName: room, reason: 'node_lost', participantCount: 2 });
  });

  it('sends its clients to rejoin when it comes back after being declared dead', async () => {
    const stores: FaultyBusKv[] = [];
    const stack: Stack = await startStack({
      nodes: 2,
      config: { SIGNALING_NODE_TTL_MS: NODE_TTL_MS },
      wrapBusKv: (inner) => {
        const store = new FaultyBusKv(inner);
        stores.push(store);
        return store;
      },
      ...(redisUrl ? { redisUrl } : {}),
    });
    cleanup.push(() => stack.close());
    const [nodeA, nodeB] = stack.nodes;
    const storeB = stores[1]!;
    const room = `node-back-${Date.now()}`;
    const a = await SignalClient.open(nodeA!.wsUrl);
    const b = await SignalClient.open(nodeB!.wsUrl);
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    await a.request({ join: { token: await stack.token('alice', { room }) } });
    const joined = await b.request({ join: { token: await stack.token('bob', { room }) } });
    const bobSid = ((joined['joinResponse'] as Json)['participant'] as Json)['sid'] as string;

    // Node B is cut off from the store and the bus (the announcement of its participant never reaches it).
    storeB.fail({ mode: 'reject', only: () => true });
    await a.next(leftOf(bobSid), DEADLINE, 'participantLeft for bob on node A');
    expect(b.received.some((m) => 'leave' in m)).toBe(false);

    // Back in touch, node B finds its mark had lapsed and that bob was declared gone: bob must rejoin.
    storeB.recover();
    const notice = await b.next((m) => 'leave' in m, DEADLINE, 'leave for bob on node B');
    expect(notice['leave']).toMatchObject({
      reason: 'DISCONNECT_REASON_CONNECTION_LOST',
      action: 'LEAVE_ACTION_RECONNECT',
    });
    await b.closed;
  });

  it('has the rooms only it served closed by another node: participants reported gone, router closed', async () => {
    const stores: FaultyBusKv[] = [];
    const reporter = recordingReporter();
    const stack: Stack = await startStack({
      nodes: 2,
      reporter,
      config: { SIGNALING_NODE_TTL_MS: NODE_TTL_MS },
      wrapBusKv: (inner) => {
        const store = new FaultyBusKv(inner);
        stores.push(store);
        return store;
      },
      ...(redisUrl ? { redisUrl } : {}),
    });
    cleanup.push(() => stack.close());
    const [nodeA, nodeB] = stack.nodes;
    const room = `orphan-${Date.now()}`;
    const sfuAddress = stack.sfu.addresses()[0]!;
    const b = await SignalClient.open(nodeB!.wsUrl);
    cleanup.push(() => b.close());
    const joined = await b.request({ join: { token: await stack.token('bob', { room }) } });
    const roomSid = ((joined['joinResponse'] as Json)['room'] as Json)['sid'];
    expect(await router(sfuAddress, room)).toBeDefined();

    // Node B dies as far as everyone else can tell; node A serves nothing of this room.
    stores[1]!.fail({ mode: 'reject', only: () => true });
    const ofRoom = (type: RoomEventType) => () =>
      reporter.reports.filter((r) => r.roomName === room && r.type === type);
    await waitFor(() => ofRoom(RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED)().length > 0, {
      timeoutMs: DEADLINE,
      what: 'the room reported ended by node A',
    });
    expect(ofRoom(RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT)()).toEqual([
      expect.objectContaining({
        participantIdentity: 'bob',
        participantCount: 0,
        reason: 'node_lost',
        roomSid,
      }),
    ]);
    expect(ofRoom(RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED)()).toEqual([
      expect.objectContaining({ reason: 'node_lost', roomSid }),
    ]);
    expect(await router(sfuAddress, room)).toBeUndefined();

    // The room starts afresh for the next joiner, without the ghost.
    const a = await SignalClient.open(nodeA!.wsUrl);
    cleanup.push(() => a.close());
    const again = (await a.request({ join: { token: await stack.token('alice', { room }) } }))[
      'joinResponse'
    ] as Json;
    expect(again['otherParticipants'] ?? []).toEqual([]);
    expect((again['room'] as Json)['sid']).not.toBe(roomSid);
  });

  it('announces what a crashed run left when it restarts under the same node id, before its mark expires', async () => {
    const stores: FaultyBusKv[] = [];
    const reporter = recordingReporter();
    const stack: Stack = await startStack({
      nodes: 2,
      reporter,
      // Far longer than the test: only the restart can clear the ghost.
      config: { SIGNALING_NODE_TTL_MS: 600_000 },
      wrapBusKv: (inner) => {
        const store = new FaultyBusKv(inner);
        stores.push(store);
        return store;
      },
      ...(redisUrl ? { redisUrl } : {}),
    });
    cleanup.push(() => stack.close());
    const [nodeA, nodeB] = stack.nodes;
    const room = `restart-${Date.now()}`;
    const a = await SignalClient.open(nodeA!.wsUrl);
    const b = await SignalClient.open(nodeB!.wsUrl);
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    await a.request({ join: { token: await stack.token('alice', { room }) } });
    const joined = await b.request({ join: { token: await stack.token('bob', { room }) } });
    const bobSid = ((joined['joinResponse'] as Json)['participant'] as Json)['sid'] as string;

    // Node B "crashes": it no longer reaches the store or the bus, and a new run starts with its node id.
    stores[1]!.fail({ mode: 'reject', only: () => true });
    const busKv = await createBusKv({
      namespace: nodeB!.busKv.namespace,
      logger,
      ...(redisUrl ? { redisUrl } : {}),
    });
    const restarted = createSignalingService({
      config: signalingConfig({ SIGNALING_NODE_ID: nodeB!.service.nodeId, SIGNALING_NODE_TTL_MS: 600_000 }),
      logger,
      busKv,
      keys: localKeySource(stack.jwk),
      sfuDirectory: () => Promise.resolve(stack.sfu.addresses()),
      reporter,
    });
    cleanup.push(async () => {
      await restarted.close();
      await busKv.close();
    });
    await restarted.listen(0, '127.0.0.1');

    await a.next(leftOf(bobSid), DEADLINE, 'participantLeft for bob on node A');
    expect(
      reporter.reports.filter(
        (r) => r.type === RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT && r.participantIdentity === 'bob',
      ),
    ).toEqual([expect.objectContaining({ reason: 'node_lost', participantCount: 1 })]);
    const c = await SignalClient.open(nodeA!.wsUrl);
    cleanup.push(() => c.close());
    const fresh = (await c.request({ join: { token: await stack.token('carol', { room }) } }))[
      'joinResponse'
    ] as Json;
    expect(((fresh['otherParticipants'] ?? []) as Json[]).map((p) => p['identity'])).toEqual(['alice']);
  });
});
