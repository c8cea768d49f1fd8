// Signaling abuse against a live room (issue 11): binary frames, deeply nested JSON, 1 MB frames, a
// thousand messages in a second and 200 idle sockets, all at once from other connections. Each abuser
// is answered with an error or closed; the room's participants keep talking to the server and hear
// about a newcomer, and another room is served as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE } from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

const IDLE_SOCKETS = 200;
const FLOOD_MESSAGES = 1000;
const DEADLINE = 30_000;

let stack: Stack;
const clients: SignalClient[] = [];

async function open(): Promise<SignalClient> {
  const c = await SignalClient.open(stack.nodes[0]!.wsUrl);
  clients.push(c);
  return c;
}

async function joined(identity: string, room: string): Promise<SignalClient> {
  const c = await open();
  const reply = await c.request({ join: { token: await stack.token(identity, { room }) } });
  if (!reply['joinResponse']) throw new Error(`join failed: ${JSON.stringify(reply)}`);
  return c;
}

const errorCode = (m: Json): string | undefined => (m['error'] as Json | undefined)?.['code'] as string;

beforeAll(async () => {
  stack = await startStack({
    config: {
      SIGNAL_RATE_PER_SECOND: 20,
      SIGNAL_RATE_BURST: 40,
      SIGNAL_FLOOD_CLOSE_AFTER: 50,
      SIGNAL_JOIN_TIMEOUT_MS: 3000,
    },
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stack.close();
});

describe('signaling abuse during a live room', () => {
  it('answers or closes every abuser while the live room and another room carry on', async () => {
    const alice = await joined('alice', 'live');
    const bob = await joined('bob', 'live');
    const other = await joined('olivia', 'other');

    // 200 sockets that never say anything: closed at the join timeout.
    const idle = await Promise.all(Array.from({ length: IDLE_SOCKETS }, () => open()));

    const binary = await open();
    const binaryReply = binary.waitNew((m) => errorCode(m) !== undefined, DEADLINE, 'binary refusal');
    binary.sendRaw(Buffer.from([0, 1, 2, 3, 0xff]));

    const deep = await open();
    const deepReply = deep.waitNew((m) => errorCode(m) !== undefined, DEADLINE, 'deep JSON refusal');
    // 20,000 levels, 40 KB: under the size limit, so the parser itself meets the depth.
    deep.sendRaw(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);

    const big = await open();
    big.sendRaw('x'.repeat(1024 * 1024));

    const flood = await open();
    const limited = flood.waitNew(
      (m) => errorCode(m) === 'ERROR_CODE_RATE_LIMITED',
      DEADLINE,
      'rate limited',
    );
    for (let i = 0; i < FLOOD_MESSAGES; i++) flood.send({ ping: { timestampMs: String(i) } });

    expect(errorCode(await binaryReply)).toBe('ERROR_CODE_INVALID_REQUEST');
    expect(errorCode(await deepReply)).toBe('ERROR_CODE_INVALID_REQUEST');
    expect(binary.isOpen && deep.isOpen).toBe(true);
    expect((await big.closed).code).toBe(1006);
    await limited;
    expect((await flood.closed).code).toBe(CLOSE.RATE_LIMITED);

    // The live room: both still answered, and a newcomer is announced to them.
    await alice.ping();
    await bob.ping();
    const announced = alice.waitNew((m) => 'participantJoined' in m, DEADLINE, 'participantJoined');
    await joined('carol', 'live');
    const seen = await announced;
    expect(((seen['participantJoined'] as Json)['participant'] as Json)['identity']).toBe('carol');
    await other.ping();

    const closes = await Promise.all(idle.map((c) => c.closed));
    expect(new Set(closes.map((c) => c.code))).toEqual(new Set([CLOSE.JOIN_TIMEOUT]));
    // Joined sockets are not subject to the join timeout.
    expect(alice.isOpen && bob.isOpen && other.isOpen).toBe(true);
    expect(stack.nodes[0]!.service.stats()).toMatchObject({ sessions: 4, rooms: 2 });
  }, 120_000);
});
