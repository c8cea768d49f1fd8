// Issue 17: rooms are placed by load. Signaling asks every worker in the directory (the registry, across
// nodes) for its load when it places a new room and picks the lowest CPU-weighted score (cpu, peers,
// routers, consumers), never a draining worker. Two SFU workers in processes of their own: a room with
// three people sending media loads one; the next new rooms go to the other, idle, one.
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { SignalClient } from './helpers/client.js';
import { forkedSfu, routersOf, startStack, withSfuPeersOnFailure, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';

const DEADLINE = 45_000;
let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function roomsOn(address: string): Promise<string[]> {
  return (await routersOf(address)).map((r) => r.roomId);
}

/** The worker's CPU reading (one worker per address here). */
async function cpuOf(address: string): Promise<number> {
  return (await call(address, (c) => c.getLoad.bind(c))).workers[0]?.cpuLoad ?? 0;
}

/** One unary call to the worker at `address`, on a client of its own. */
async function call<Res>(
  address: string,
  method: (client: SfuServiceClient) => Parameters<typeof unary<object, Res>>[0],
): Promise<Res> {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    return await unary(method(client), {});
  } finally {
    client.close();
  }
}

describe('room placement by load', () => {
  it(
    'puts new rooms on the idle worker while the other carries a meeting',
    { timeout: 120_000 },
    async () => {
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
      // Frames each person decoded from each other one; if the media never comes, what each person who is
      // missing some knows of the sender and of their own connections, and the workers (a restarted one
      // has a new address).
      const frames = () =>
        people.map((p) => people.filter((q) => q !== p).map((q) => p.media(q.sid).videoFrames));
      const missing = () =>
        people.flatMap((p) =>
          people.filter((q) => q !== p && p.media(q.sid).videoFrames < 10).map((q) => p.describe(q)),
        );
      await withSfuPeersOnFailure(addresses, () =>
        waitFor(() => frames().every((row) => row.every((n) => n >= 10)), {
          timeoutMs: DEADLINE,
          what: 'media among the three',
          detail: () => ({ frames: frames(), missing: missing(), workers: sfu.addresses() }),
        }),
      );
      const loaded = (await roomsOn(addresses[0]!)).includes(busy) ? addresses[0]! : addresses[1]!;
      const idle = addresses.find((a) => a !== loaded)!;
      // Workers read their CPU over two-second windows: wait until the meeting's worker reads busier than the
      // idle one (its last window may have ended before the media began).
      const readings: number[] = [];
      await waitFor(
        async () => {
          readings.splice(0, 2, await cpuOf(loaded), await cpuOf(idle));
          return readings[0]! > readings[1]!;
        },
        {
          timeoutMs: DEADLINE,
          intervalMs: 250,
          what: 'the busy worker to read busier',
          detail: () => readings,
        },
      );

      for (const name of ['quiet-a', 'quiet-b']) {
        const room = `${name}-${process.pid}`;
        await enter(`${name}-host`, room, false);
        expect(await roomsOn(idle), `${room} is placed on the idle worker`).toContain(room);
        expect(await roomsOn(loaded)).not.toContain(room);
      }
    },
  );
});
