// Issue 17: rooms are placed by load. Signaling asks every worker in the directory (the registry, across
// nodes) for its load when it places a new room and picks the lowest CPU-weighted score (cpu, peers,
// routers, consumers), never a draining worker. Two SFU workers in processes of their own: a room with
// three people sending media loads one; the next new rooms go to the other, idle, one.
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { SignalClient } from './helpers/client.js';
import { forkedSfu, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';

const DEADLINE = 45_000;
let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function roomsOn(address: string): Promise<string[]> {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    return (await unary(client.getStats.bind(client), {})).routers.map((r) => r.roomId);
  } finally {
    client.close();
  }
}

describe('room placement by load', () => {
  it('puts new rooms on the idle worker while the other carries a meeting', async () => {
    const sfu = await forkedSfu(2);
    cleanup.push(() => sfu.stop());
    const stack: Stack = await startStack({ sfu });
    cleanup.push(() => stack.close());
    const addresses = sfu.addresses();
    expect(addresses).toHaveLength(2);

    const enter = async (identity: string, room: string, publish: boolean): Promise<MediaPeer> => {
      const signal = await SignalClient.open(stack.nodes[0]!.wsUrl);
      const peer = new MediaPeer(signal);
      cleanup.push(
        () => peer.close(),
        () => signal.close(),
      );
      await peer.join(await stack.token(identity, { room }));
      if (publish) await peer.publish({ simulcast: false });
      return peer;
    };

    const busy = `busy-${process.pid}`;
    const people = [
      await enter('ana', busy, true),
      await enter('ben', busy, true),
      await enter('cy', busy, true),
    ];
    await waitFor(
      () => people.every((p) => people.every((q) => p === q || p.media(q.sid).videoFrames >= 10)),
      { timeoutMs: DEADLINE, what: 'media among the three' },
    );
    const loaded = (await roomsOn(addresses[0]!)).includes(busy) ? addresses[0]! : addresses[1]!;
    const idle = addresses.find((a) => a !== loaded)!;

    for (const name of ['quiet-a', 'quiet-b']) {
      const room = `${name}-${process.pid}`;
      await enter(`${name}-host`, room, false);
      expect(await roomsOn(idle), `${room} is placed on the idle worker`).toContain(room);
      expect(await roomsOn(loaded)).not.toContain(room);
    }
  }, 120_000);
});
