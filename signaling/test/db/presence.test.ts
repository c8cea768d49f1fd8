// Presence on real Redis (REDIS_URL; skipped without it) across two signaling nodes in processes of their
// own: a signed-in participant on each is in the meeting; the node of one is killed with SIGKILL (no
// goodbye), and its participant's presence expires by itself within the presence TTL while the other's,
// refreshed by a living node, stays.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEd25519Jwk } from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { PresenceStore } from '@origo/control/presence';
import { publicJwk, signJoinToken } from '../../src/index.js';
import { SignalClient } from '../helpers/client.js';
import { spawnFixture } from '../helpers/fixtureProcess.js';
import { inProcessSfu } from '../helpers/harness.js';

const REDIS_URL = process.env['REDIS_URL'] === '' ? undefined : process.env['REDIS_URL'];
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'signalingNode.ts');
const DEADLINE = 45_000;
const PRESENCE_TTL_MS = 3000;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe.skipIf(REDIS_URL === undefined)('presence when a signaling node dies (Redis)', () => {
  it("lets the dead node's participants expire and keeps the living node's", async () => {
    const sfu = await inProcessSfu('presence-kill');
    cleanup.push(() => sfu.stop());
    const jwk = generateEd25519Jwk();
    const run = randomBytes(4).toString('hex');
    const namespace = `origo-test:presence-${run}:`;
    const shared = {
      REDIS_URL: REDIS_URL!,
      TEST_BUS_NAMESPACE: namespace,
      TEST_JOIN_TOKEN_PUBLIC_JWK: JSON.stringify(publicJwk(jwk)),
      SFU_ADDRESSES: sfu.addresses()[0]!,
      SIGNALING_HOST: '127.0.0.1',
      SIGNALING_PORT: '0',
      SIGNALING_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    };
    const spawn = (id: string) =>
      spawnFixture(FIXTURE, { ...shared, SIGNALING_NODE_ID: id }, (fn) => cleanup.push(fn), DEADLINE);
    const [nodeA, nodeB] = await Promise.all([spawn(`presence-a-${run}`), spawn(`presence-b-${run}`)]);
    const busKv = await createBusKv({ redisUrl: REDIS_URL, namespace });
    cleanup.push(() => busKv.close());
    const presence = new PresenceStore(busKv.kv);
    const room = `presence-${run}`;
    const enter = async (node: typeof nodeA, userId: string) => {
      const client = await SignalClient.open(String(node.ready['wsUrl']));
      cleanup.push(() => client.close());
      const reply = await client.request({
        join: { token: await signJoinToken({ privateJwk: jwk, identity: userId, room }) },
      });
      expect(reply['joinResponse']).toBeDefined();
    };
    await enter(nodeA, 'usr_on_a');
    await enter(nodeB, 'usr_on_b');
    const present = async () => [...(await presence.read(['usr_on_a', 'usr_on_b'])).keys()].sort();
    await expect.poll(present, { timeout: 5000 }).toEqual(['usr_on_a', 'usr_on_b']);

    const killedAt = Date.now();
    nodeA.child.kill('SIGKILL');
    await nodeA.exited;
    await expect.poll(present, { timeout: PRESENCE_TTL_MS + 5000, interval: 100 }).toEqual(['usr_on_b']);
    const tookMs = Date.now() - killedAt;
    process.stdout.write(`presence: gone ${tookMs} ms after SIGKILL (presence TTL ${PRESENCE_TTL_MS} ms)\n`);
    expect(tookMs).toBeLessThanOrEqual(PRESENCE_TTL_MS + 1000);
    // Nothing of the dead node's participant is left in the store once its key expired.
    await expect.poll(() => busKv.kv.hgetall('presence:user:usr_on_a'), { timeout: 5000 }).toEqual({});
    expect((await presence.read(['usr_on_b'])).get('usr_on_b')).toMatchObject({ state: 'in_meeting' });
  });
});
