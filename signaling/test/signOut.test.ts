// An account an administrator signs out (auth's session-ended announcement on the bus) leaves every room at
// once, on every node, and cannot come back with a join token issued before; other accounts stay.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { SESSION_ENDED_CHANNEL } from '@origo/auth/events';
import { SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

let stack: Stack | undefined;
let sockets: SignalClient[] = [];

afterEach(async () => {
  for (const s of sockets) s.close();
  sockets = [];
  await stack?.close();
  stack = undefined;
});

async function join(
  s: Stack,
  node: number,
  identity: string,
  room: string,
): Promise<{ c: SignalClient; reply: Json }> {
  const c = await SignalClient.open(s.nodes[node]!.wsUrl);
  sockets.push(c);
  const reply = await c.request({ join: { token: await s.token(identity, { room }) } });
  return { c, reply };
}

const ended = (body: Record<string, unknown>) => ({
  sids: ['sess_hash_1'],
  until: Date.now() + 600_000,
  ...body,
});

describe('an account an administrator signs out', () => {
  it('is taken out of its meetings on every node, and its older join token is refused', async () => {
    stack = await startStack({ nodes: 2 });
    const bus = stack.nodes[0]!.busKv.bus;
    const alice = await join(stack, 0, 'usr_alice', 'mtg_a');
    expect(alice.reply).toHaveProperty('joinResponse');
    const oldToken = await stack.token('usr_bob', { room: 'mtg_a' });
    const bobHere = await join(stack, 0, 'usr_bob', 'mtg_a');
    const bobThere = await join(stack, 1, 'usr_bob', 'mtg_b');
    expect(bobHere.reply).toHaveProperty('joinResponse');
    expect(bobThere.reply).toHaveProperty('joinResponse');

    await bus.publish(SESSION_ENDED_CHANNEL, ended({ user_id: 'usr_bob', reason: 'forced_sign_out' }));
    for (const bob of [bobHere, bobThere]) {
      const notice = await bob.c.next((m) => 'leave' in m);
      expect(notice['leave']).toEqual({
        reason: 'DISCONNECT_REASON_SIGNED_OUT',
        action: 'LEAVE_ACTION_DISCONNECT',
      });
      await bob.c.closed;
    }
    const left = await alice.c.next((m) => 'participantLeft' in m);
    expect((left['participantLeft'] as Json)['reason']).toBe('DISCONNECT_REASON_SIGNED_OUT');
    const signedOutBy = Date.now();

    const retry = await SignalClient.open(stack.nodes[1]!.wsUrl);
    sockets.push(retry);
    const refused = await retry.request({ join: { token: oldToken } });
    expect(refused['error']).toMatchObject({ code: 'ERROR_CODE_UNAUTHENTICATED' });
    expect(String((refused['error'] as Json)['message'])).toMatch(/signed this account out/);

    // Signed in again: a token issued after the sign-out is taken.
    await waitFor(() => Date.now() > signedOutBy, { timeoutMs: 1000, what: 'a later millisecond' });
    expect((await join(stack, 1, 'usr_bob', 'mtg_a')).reply).toHaveProperty('joinResponse');
    await alice.c.ping();
  });

  it('leaves everyone in when one session ended or the password changed', async () => {
    stack = await startStack();
    const bus = stack.nodes[0]!.busKv.bus;
    const bob = await join(stack, 0, 'usr_bob', 'mtg_a');
    const carol = await join(stack, 0, 'usr_carol', 'mtg_a');
    expect(bob.reply).toHaveProperty('joinResponse');
    expect(carol.reply).toHaveProperty('joinResponse');
    await bus.publish(SESSION_ENDED_CHANNEL, ended({}));
    await bus.publish(SESSION_ENDED_CHANNEL, ended({ user_id: 'usr_bob', reason: 'password_change' }));
    await bus.publish(SESSION_ENDED_CHANNEL, { user_id: 'usr_bob', reason: 'forced_sign_out' });
    // Delivered in order: once carol is out, the announcements before hers were handled.
    await bus.publish(SESSION_ENDED_CHANNEL, ended({ user_id: 'usr_carol', reason: 'account_disabled' }));
    await carol.c.next((m) => 'leave' in m);
    await bob.c.ping();
    expect(bob.c.received.some((m) => 'leave' in m)).toBe(false);
    expect(bob.c.isOpen).toBe(true);
  });
});
