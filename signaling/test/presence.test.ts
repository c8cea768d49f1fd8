// Presence written by signaling for signed-in participants, as control reads it from the shared store: in
// the meeting while the session lives (refreshed past its TTL), away while the page says it is hidden,
// gone at once when the participant leaves; guests have none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PresenceStore } from '@origo/control/presence';
import { SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

const TTL_MS = 900;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('presence of signed-in participants', () => {
  let stack: Stack;
  let presence: PresenceStore;
  const clients: SignalClient[] = [];
  const room = `presence-${Date.now().toString(36)}`;

  beforeAll(async () => {
    stack = await startStack({ nodes: 2, config: { SIGNALING_PRESENCE_TTL_MS: TTL_MS } });
    presence = new PresenceStore(stack.nodes[1]!.busKv.kv);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack?.close();
  });

  async function join(node: number, identity: string): Promise<SignalClient> {
    const client = await SignalClient.open(stack.nodes[node]!.wsUrl);
    clients.push(client);
    const reply = await client.request({ join: { token: await stack.token(identity, { room }) } });
    if (!reply['joinResponse']) throw new Error(`join failed: ${JSON.stringify(reply)}`);
    return client;
  }
  const stateOf = async (userId: string) => (await presence.read([userId])).get(userId);

  it('shows a signed-in participant in the meeting, away while hidden, and gone once it left', async () => {
    const ann = await join(0, 'usr_ann');
    const ben = await join(1, 'usr_ben');
    await join(0, 'gst_visitor');
    await expect.poll(() => stateOf('usr_ann')).toMatchObject({ state: 'in_meeting', meetingIds: [room] });
    await expect.poll(() => stateOf('usr_ben')).toMatchObject({ state: 'in_meeting', meetingIds: [room] });
    expect(await stateOf('gst_visitor')).toBeUndefined();

    // Refreshed while the session lives: still there after several TTLs.
    await sleep(TTL_MS * 3);
    expect(await stateOf('usr_ann')).toMatchObject({ state: 'in_meeting' });

    expect((await ann.request({ setAway: { away: true } }))['ack']).toBeDefined();
    await expect.poll(() => stateOf('usr_ann')).toMatchObject({ state: 'away', meetingIds: [room] });
    await sleep(TTL_MS * 2);
    expect(await stateOf('usr_ann')).toMatchObject({ state: 'away' });
    await ann.request({ setAway: { away: false } });
    await expect.poll(() => stateOf('usr_ann')).toMatchObject({ state: 'in_meeting' });

    const left = await ben.request({ leave: {} });
    expect((left as Json)['ack']).toBeDefined();
    await expect.poll(() => stateOf('usr_ben'), { timeout: TTL_MS / 2 }).toBeUndefined();
  });

  it('shows the others who is away in their participants list, across nodes, guests too', async () => {
    const guest = await join(0, 'gst_away');
    const joined = guest.received.find((m) => 'joinResponse' in m) as Json;
    const guestSid = ((joined['joinResponse'] as Json)['participant'] as Json)['sid'];
    const watcher = await join(1, 'usr_watcher');
    const update = (away: boolean) => (m: Json) => {
      const p = (m['participantUpdated'] as Json | undefined)?.['participant'] as Json | undefined;
      return p !== undefined && p['sid'] === guestSid && Boolean(p['away']) === away;
    };

    const awayNow = watcher.waitNew(update(true), 20_000, 'the guest shown away');
    expect((await guest.request({ setAway: { away: true } }))['ack']).toBeDefined();
    await awayNow;
    // Saying it again changes nothing and announces nothing.
    const backNow = watcher.waitNew(update(false), 20_000, 'the guest shown back');
    await guest.request({ setAway: { away: true } });
    await guest.request({ setAway: { away: false } });
    await backNow;
    expect(watcher.received.filter(update(true))).toHaveLength(1);
  });
});
