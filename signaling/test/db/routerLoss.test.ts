// Issue 17 on real Redis (REDIS_URL; skipped without it): two SFU workers in processes of their own (two
// media machines) and two signaling nodes sharing Redis, with wrtc peers publishing both ways across the
// nodes. The worker holding the room's router is killed with SIGKILL: every signaling node serving the
// room tells its clients to reconnect, and the clients, joining again as the web client does, are placed on
// the surviving worker and have media both ways again. The time from the kill to media is printed.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SignalClient, type Json } from '../helpers/client.js';
import { spawnFixture } from '../helpers/fixtureProcess.js';
import { routersOf, startStack, withSfuPeersOnFailure, type Stack } from '../helpers/harness.js';
import { MediaPeer, waitMediaBothWays } from '../helpers/mediaPeer.js';

const REDIS_URL = process.env['REDIS_URL'] === '' ? undefined : process.env['REDIS_URL'];
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sfuWorker.ts');
const DEADLINE = 45_000;

let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function routerRooms(address: string): Promise<string[]> {
  return (await routersOf(address)).map((r) => r.roomId);
}

describe.skipIf(REDIS_URL === undefined)('the SFU worker holding a room is killed (Redis)', () => {
  it('the room is placed on the other worker and everyone has media again', async () => {
    const run = randomBytes(4).toString('hex');
    const workers = await Promise.all(
      ['w1', 'w2'].map((id) =>
        spawnFixture(FIXTURE, { TEST_WORKER_ID: `${id}-${run}` }, (fn) => cleanup.push(fn), DEADLINE),
      ),
    );
    const addresses = workers.map((w) => String(w.ready['grpcAddress']));
    const stack: Stack = await startStack({
      nodes: 2,
      redisUrl: REDIS_URL!,
      sfu: { addresses: () => addresses, stop: () => Promise.resolve() },
    });
    cleanup.push(() => stack.close());
    const room = `router-loss-${run}`;

    /** A participant joining (again) through one node, publishing, as the client does after a reconnect. */
    const enter = async (
      node: number,
      identity: string,
    ): Promise<{ signal: SignalClient; peer: MediaPeer }> => {
      const signal = await SignalClient.open(stack.nodes[node]!.wsUrl);
      const peer = new MediaPeer(signal);
      cleanup.push(
        () => peer.close(),
        () => signal.close(),
      );
      await peer.join(await stack.token(identity, { room }));
      await peer.publish({ simulcast: false });
      return { signal, peer };
    };
    /** Waits for media both ways; a timeout's message adds what the SFU workers count for each peer. */
    const mediaBothWays = (x: MediaPeer, y: MediaPeer, what: string) =>
      withSfuPeersOnFailure(addresses, () => waitMediaBothWays(x, y, what, { timeoutMs: DEADLINE }));

    const alice = await enter(0, 'alice');
    const bob = await enter(1, 'bob');
    await mediaBothWays(alice.peer, bob.peer, 'media both ways before the kill');
    const holder = (await routerRooms(addresses[0]!)).includes(room) ? 0 : 1;
    const survivor = 1 - holder;
    expect(await routerRooms(addresses[holder]!)).toContain(room);

    const killedAt = Date.now();
    workers[holder]!.child.kill('SIGKILL');
    const reconnect = (m: Json): boolean =>
      (m['leave'] as Json | undefined)?.['action'] === 'LEAVE_ACTION_RECONNECT';
    await Promise.all([
      alice.signal.next(reconnect, DEADLINE, 'reconnect notice for alice (node A)'),
      bob.signal.next(reconnect, DEADLINE, 'reconnect notice for bob (node B)'),
    ]);
    alice.peer.close();
    bob.peer.close();
    const [alice2, bob2] = await Promise.all([enter(0, 'alice'), enter(1, 'bob')]);
    await mediaBothWays(alice2.peer, bob2.peer, 'media both ways after the kill');
    const tookMs = Date.now() - killedAt;
    process.stdout.write(`router-loss: media both ways again ${tookMs} ms after SIGKILL\n`);
    expect(await routerRooms(addresses[survivor]!)).toContain(room);
  });
});
