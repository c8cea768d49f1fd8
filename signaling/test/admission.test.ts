// Issue 11 findings 4 and 9: a join token fetched before a meeting ended (or was cancelled) cannot open
// the room again, on any node and whether or not the room was live; a participant a host removed cannot
// rejoin with a fresh token until a host allows it. Each refusal has its own code, so the client can say
// what happened instead of "your access expired".
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { ROOM_COMMANDS_CHANNEL } from '@origo/control/contracts';
import { SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

let stack: Stack | undefined;
const sockets: SignalClient[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await stack?.close();
  stack = undefined;
});

async function joinWith(s: Stack, token: string, node = 0): Promise<Json> {
  const c = await SignalClient.open(s.nodes[node]!.wsUrl);
  sockets.push(c);
  return c.request({ join: { token } });
}

const codeOf = (reply: Json): unknown => (reply['error'] as Json | undefined)?.['code'];

function command(room: string, body: Record<string, unknown>): Record<string, unknown> {
  return { v: 1, command_id: randomUUID(), room, issued_by: 'usr_host', issued_at_ms: Date.now(), ...body };
}

describe('who may open a room', () => {
  it('refuses tokens issued before the host ended the meeting, on every node, and takes newer ones', async () => {
    stack = await startStack({ nodes: 2 });
    const early = await stack.token('usr_late', { room: 'mtg_end' });
    const host = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(host);
    const joined = await host.request({
      join: {
        token: await stack.token('usr_host', {
          room: 'mtg_end',
          grants: { host: true, publish: true, subscribe: true },
        }),
      },
    });
    expect(joined).toHaveProperty('joinResponse');
    expect(await host.request({ endRoom: {} })).toHaveProperty('ack');
    await host.closed;
    for (const node of [0, 1]) {
      const reply = await joinWith(stack, early, node);
      expect(codeOf(reply)).toBe('ERROR_CODE_ROOM_ENDED');
      expect((reply['error'] as Json)['message']).toMatch(/ended after this join token was issued/);
    }
    // The host starts the meeting again: tokens issued now work.
    const fresh = await joinWith(stack, await stack.token('usr_late', { room: 'mtg_end' }), 1);
    expect(fresh).toHaveProperty('joinResponse');
  });

  it('refuses tokens fetched before a meeting was cancelled, although its room never opened', async () => {
    stack = await startStack();
    const early = await stack.token('usr_guest', { room: 'mtg_cancelled' });
    await stack.nodes[0]!.busKv.bus.publish(
      ROOM_COMMANDS_CHANNEL,
      command('mtg_cancelled', { type: 'end_room', reason: 'meeting_cancelled' }),
    );
    await waitFor(async () => codeOf(await joinWith(stack!, early)) === 'ERROR_CODE_ROOM_ENDED', {
      timeoutMs: 10_000,
      what: 'old token refused after the cancellation',
    });
  });

  it('keeps a removed participant out, even with a new token, until a host allows them back', async () => {
    stack = await startStack();
    const hostToken = await stack.token('usr_host', {
      room: 'mtg_rm',
      grants: { host: true, publish: true, subscribe: true },
    });
    const host = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(host);
    await host.request({ join: { token: hostToken } });
    const guest = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(guest);
    const guestJoin = await guest.request({
      join: { token: await stack.token('gst_1', { room: 'mtg_rm' }) },
    });
    const guestSid = ((guestJoin['joinResponse'] as Json)['participant'] as Json)['sid'];
    expect(await host.request({ removeParticipant: { participantSid: guestSid } })).toHaveProperty('ack');
    const notice = await guest.next((m) => 'leave' in m);
    expect((notice['leave'] as Json)['reason']).toBe('DISCONNECT_REASON_REMOVED_BY_HOST');

    const again = await joinWith(stack, await stack.token('gst_1', { room: 'mtg_rm' }));
    expect(codeOf(again)).toBe('ERROR_CODE_REMOVED');
    // Others are not affected.
    expect(await joinWith(stack, await stack.token('gst_2', { room: 'mtg_rm' }))).toHaveProperty(
      'joinResponse',
    );

    await stack.nodes[0]!.busKv.bus.publish(
      ROOM_COMMANDS_CHANNEL,
      command('mtg_rm', { type: 'allow_participant', identity: 'gst_1' }),
    );
    await waitFor(
      async () => 'joinResponse' in (await joinWith(stack!, await stack!.token('gst_1', { room: 'mtg_rm' }))),
      { timeoutMs: 10_000, what: 'rejoin after the host allowed it' },
    );
  });

  it("tells everyone in the room, on every node, that the plan's length cap ends the meeting soon", async () => {
    stack = await startStack({ nodes: 2 });
    const token = (identity: string) => stack!.token(identity, { room: 'mtg_cap' });
    const ann = await SignalClient.open(stack.nodes[0]!.wsUrl);
    const ben = await SignalClient.open(stack.nodes[1]!.wsUrl);
    sockets.push(ann, ben);
    expect(await ann.request({ join: { token: await token('usr_ann') } })).toHaveProperty('joinResponse');
    expect(await ben.request({ join: { token: await token('usr_ben') } })).toHaveProperty('joinResponse');

    const endsAtMs = Date.now() + 5 * 60_000;
    await stack.nodes[0]!.busKv.bus.publish(
      ROOM_COMMANDS_CHANNEL,
      command('mtg_cap', {
        type: 'time_limit_warning',
        ends_at_ms: endsAtMs,
        limit_minutes: 40,
        plan_name: 'Free',
      }),
    );
    const expected = { endsAtMs, limitMinutes: 40, planName: 'Free' };
    for (const c of [ann, ben]) {
      const warning = await c.next((m) => 'timeLimitWarning' in m, 10_000, 'the length-cap warning');
      expect(warning['timeLimitWarning']).toEqual(expected);
    }
    // Someone who joins afterwards is told at once.
    const late = await SignalClient.open(stack.nodes[1]!.wsUrl);
    sockets.push(late);
    expect(await late.request({ join: { token: await token('usr_late') } })).toHaveProperty('joinResponse');
    const told = await late.next((m) => 'timeLimitWarning' in m, 10_000, 'the warning on joining late');
    expect(told['timeLimitWarning']).toEqual(expected);
  });

  it('tells everyone, on every node and on joining late, that the room is being recorded, and when it stops', async () => {
    stack = await startStack({ nodes: 2 });
    const token = (identity: string) => stack!.token(identity, { room: 'mtg_rec' });
    const ann = await SignalClient.open(stack.nodes[0]!.wsUrl);
    const ben = await SignalClient.open(stack.nodes[1]!.wsUrl);
    sockets.push(ann, ben);
    expect(await ann.request({ join: { token: await token('usr_ann') } })).toHaveProperty('joinResponse');
    expect(await ben.request({ join: { token: await token('usr_ben') } })).toHaveProperty('joinResponse');
    // Proto JSON leaves false and empty fields out: a stop reads as {}.
    const notice = (m: Json) => m['recordingChanged'] as Json | undefined;
    const started = (c: SignalClient, what: string) =>
      c.next((m) => notice(m)?.['recording'] === true, 10_000, what).then(notice);
    const stopped = (c: SignalClient, what: string) =>
      c.next((m) => notice(m) !== undefined && notice(m)?.['recording'] !== true, 10_000, what).then(notice);
    const publish = (body: Record<string, unknown>) =>
      stack!.nodes[0]!.busKv.bus.publish(
        ROOM_COMMANDS_CHANNEL,
        command('mtg_rec', { type: 'recording_changed', ...body }),
      );

    await publish({ recording: true, recording_id: 'rec_1' });
    for (const c of [ann, ben])
      expect(await started(c, 'the recording notice')).toEqual({ recording: true, recordingId: 'rec_1' });
    const late = await SignalClient.open(stack.nodes[1]!.wsUrl);
    sockets.push(late);
    expect(await late.request({ join: { token: await token('usr_late') } })).toHaveProperty('joinResponse');
    expect(await started(late, 'the notice on joining late')).toEqual({
      recording: true,
      recordingId: 'rec_1',
    });

    // A late stop of another recording does not end this one's notice; its own stop does.
    await publish({ recording: false, recording_id: 'rec_old' });
    await publish({ recording: false, recording_id: 'rec_1' });
    for (const c of [ann, ben, late]) expect(await stopped(c, 'the end of the recording')).toEqual({});
    const after = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(after);
    expect(await after.request({ join: { token: await token('usr_after') } })).toHaveProperty('joinResponse');
    await expect(after.next((m) => 'recordingChanged' in m, 1_500, 'no notice')).rejects.toThrow();
  });
});
