// Issue 17 on real Redis (REDIS_URL; skipped without it): two signaling nodes as separate processes share one
// room on one SFU worker, with wrtc peers. The node holding a publishing participant is killed with SIGKILL
// (no goodbye of any kind); the participants on the other node see it leave within 20 s, its SFU peer and
// the consumers of its tracks are closed, and a newcomer is not shown the ghost. The node TTL is lowered
// from the default 15 s to 8 s (SIGNALING_NODE_TTL_MS, as an operator would set it) so a loaded CI machine
// stays well inside the 20 s; the time it took is printed. The killed node's own client then connects again
// (to the surviving node, as a load balancer would send it), joins with its token and has media again.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, generateEd25519Jwk, unary } from '@origo/kit';
import { waitFor } from '@origo/kit/testing';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { publicJwk, signJoinToken } from '../../src/index.js';
import { SignalClient, type Json } from '../helpers/client.js';
import { spawnFixture, type FixtureProcess } from '../helpers/fixtureProcess.js';
import { inProcessSfu } from '../helpers/harness.js';
import { MediaPeer } from '../helpers/mediaPeer.js';

const REDIS_URL = process.env['REDIS_URL'] === '' ? undefined : process.env['REDIS_URL'];
const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, 'fixtures', 'signalingNode.ts');
const DEADLINE = 45_000;
/** What issue 17 accepts between the kill and the others hearing of it. */
const LEAVE_BOUND_MS = 20_000;
/** NODE_KILL_TTL_MS measures another TTL (15000, the default, for the figures in the issue). */
const NODE_TTL_MS = Number(process.env['NODE_KILL_TTL_MS'] ?? 8000);

let cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function spawnNode(env: Record<string, string>): Promise<FixtureProcess & { wsUrl: string }> {
  const node = await spawnFixture(FIXTURE, env, (fn) => cleanup.push(fn), DEADLINE);
  return { ...node, wsUrl: String(node.ready['wsUrl']) };
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

describe.skipIf(REDIS_URL === undefined)('a signaling node killed with SIGKILL (Redis)', () => {
  it('is noticed by the other node: its participant leaves, its SFU peer closes', async () => {
    const sfu = await inProcessSfu('node-kill');
    cleanup.push(() => sfu.stop());
    const sfuAddress = sfu.addresses()[0]!;
    const jwk = generateEd25519Jwk();
    const run = randomBytes(4).toString('hex');
    const shared = {
      REDIS_URL: REDIS_URL!,
      TEST_BUS_NAMESPACE: `origo-test:kill-${run}:`,
      TEST_JOIN_TOKEN_PUBLIC_JWK: JSON.stringify(publicJwk(jwk)),
      SFU_ADDRESSES: sfuAddress,
      SIGNALING_HOST: '127.0.0.1',
      SIGNALING_PORT: '0',
      SIGNALING_NODE_TTL_MS: String(NODE_TTL_MS),
    };
    const [nodeA, nodeB] = await Promise.all([
      spawnNode({ ...shared, SIGNALING_NODE_ID: `kill-a-${run}` }),
      spawnNode({ ...shared, SIGNALING_NODE_ID: `kill-b-${run}` }),
    ]);
    const room = `node-kill-${run}`;
    const token = (identity: string) => signJoinToken({ privateJwk: jwk, identity, room });
    const open = async (url: string): Promise<SignalClient> => {
      const client = await SignalClient.open(url);
      cleanup.push(() => client.close());
      return client;
    };

    const a = await open(nodeA.wsUrl);
    const alice = new MediaPeer(a);
    cleanup.push(() => alice.close());
    await alice.join(await token('alice'));
    const c = await open(nodeA.wsUrl);
    await c.request({ join: { token: await token('carol') } });
    const b = await open(nodeB.wsUrl);
    const bob = new MediaPeer(b);
    cleanup.push(() => bob.close());
    const bobToken = await token('bob');
    await bob.join(bobToken);
    await bob.publish({ simulcast: false });
    await waitFor(() => alice.media(bob.sid).videoFrames >= 5, {
      timeoutMs: DEADLINE,
      what: 'alice (node A) decodes bob (node B)',
    });

    const killedAt = Date.now();
    nodeB.child.kill('SIGKILL');
    await nodeB.exited;
    await Promise.all([
      a.next(leftOf(bob.sid), LEAVE_BOUND_MS, 'participantLeft for bob on node A (alice)'),
      c.next(leftOf(bob.sid), LEAVE_BOUND_MS, 'participantLeft for bob on node A (carol)'),
    ]);
    const tookMs = Date.now() - killedAt;
    process.stdout.write(`node-kill: leave seen ${tookMs} ms after SIGKILL (node TTL ${NODE_TTL_MS} ms)\n`);

    await waitFor(
      async () => {
        const r = await router(sfuAddress, room);
        return r?.peerCount === 2 && r.producerCount === 0 && r.consumerCount === 0;
      },
      { timeoutMs: DEADLINE, what: "bob's SFU peer, tracks and consumers closed" },
    );
    const d = await open(nodeA.wsUrl);
    const joined = await d.request({ join: { token: await token('dave') } });
    const others = ((joined['joinResponse'] as Json)['otherParticipants'] as Json[]).map(
      (p) => p['identity'],
    );
    expect(others.sort()).toEqual(['alice', 'carol']);
    expect(a.received.filter(leftOf(bob.sid))).toHaveLength(1);

    // Bob's client lost its node (its socket closed): like the web client it connects again, which the
    // load balancer sends to the surviving node, joins with the token it holds and publishes again.
    expect((await b.closed).code).toBe(1006);
    bob.close();
    const bobAgain = new MediaPeer(await open(nodeA.wsUrl));
    cleanup.push(() => bobAgain.close());
    await bobAgain.join(bobToken);
    await bobAgain.publish({ simulcast: false });
    await waitFor(() => alice.media(bobAgain.sid).videoFrames >= 5, {
      timeoutMs: DEADLINE,
      what: 'alice decodes bob again after he rejoined through node A',
    });
    process.stdout.write(
      `node-kill: bob back through node A with media ${Date.now() - killedAt} ms after SIGKILL\n`,
    );
  });
});
