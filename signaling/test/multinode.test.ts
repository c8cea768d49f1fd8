// Two signaling nodes sharing room placement and room events through the kit's store and bus: a
// participant joining through node B lands on the SFU router node A placed, hears A's participants,
// and decodes their media. Runs on the in-memory store always, and on Redis when REDIS_URL is set.
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { SignalClient, type Json } from './helpers/client.js';
import { inProcessSfu, startStack, type Sfu, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';

const variants: Array<{ name: string; redisUrl?: string }> = [{ name: 'in-memory store' }];
if (process.env['REDIS_URL']) variants.push({ name: 'Redis', redisUrl: process.env['REDIS_URL'] });

let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function routerRooms(address: string): Promise<Array<{ roomId: string; peers: number }>> {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    const stats = await unary(client.getStats.bind(client), {});
    return stats.routers.map((r) => ({ roomId: r.roomId, peers: r.peerCount }));
  } finally {
    client.close();
  }
}

describe.each(variants)('two signaling nodes ($name)', ({ redisUrl }) => {
  it('serve one room on the router the first node placed, with events and media across nodes', async () => {
    const w1 = await inProcessSfu('w1');
    const w2 = await inProcessSfu('w2');
    cleanup.push(
      () => w1.stop(),
      () => w2.stop(),
    );
    const both: Sfu = {
      addresses: () => [...w1.addresses(), ...w2.addresses()],
      stop: async () => undefined,
    };
    const stack: Stack = await startStack({ sfu: both, nodes: 2, ...(redisUrl ? { redisUrl } : {}) });
    cleanup.push(() => stack.close());
    const room = `shared-${Date.now()}`;
    const [nodeA, nodeB] = stack.nodes;

    const a = await SignalClient.open(nodeA!.wsUrl);
    const alice = new MediaPeer(a);
    cleanup.push(
      () => alice.close(),
      () => a.close(),
    );
    await alice.join(
      await stack.token('alice', { room, grants: { publish: true, subscribe: true, host: true } }),
    );
    await alice.publish({ simulcast: false });

    const placedOn = (await routerRooms(w1.addresses()[0]!)).some((r) => r.roomId === room) ? w1 : w2;
    const elsewhere = placedOn === w1 ? w2 : w1;

    const b = await SignalClient.open(nodeB!.wsUrl);
    const bob = new MediaPeer(b);
    cleanup.push(
      () => bob.close(),
      () => b.close(),
    );
    const jr = await bob.join(await stack.token('bob', { room }));
    expect((jr['otherParticipants'] as Json[]).map((p) => p['identity'])).toEqual(['alice']);
    expect((await routerRooms(placedOn.addresses()[0]!)).find((r) => r.roomId === room)?.peers).toBe(2);
    expect((await routerRooms(elsewhere.addresses()[0]!)).some((r) => r.roomId === room)).toBe(false);

    const joinedEvent = await a.next((m) => 'participantJoined' in m);
    expect(((joinedEvent['participantJoined'] as Json)['participant'] as Json)['identity']).toBe('bob');
    await waitFor(() => bob.media(alice.sid).videoFrames >= 10, {
      timeoutMs: 45_000,
      what: 'bob (node B) decodes alice (node A)',
    });

    // A host action crosses nodes too: alice (A) removes bob (B).
    expect(await a.request({ removeParticipant: { participantSid: bob.sid } })).toHaveProperty('ack');
    const notice = await b.next((m) => 'leave' in m);
    expect((notice['leave'] as Json)['reason']).toBe('DISCONNECT_REASON_REMOVED_BY_HOST');
    await a.next((m) => (m['participantLeft'] as Json | undefined)?.['participantSid'] === bob.sid);
  });
});
