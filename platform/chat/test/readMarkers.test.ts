// Read markers and REST changes as the room learns of them: a participant's marker moves only forward and
// never past the newest message, the newest history page carries the unread count a rejoining client
// shows, and an edit or delete made over REST is announced on the bus for signaling to deliver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import type { PostMessageRequest } from '@origo/proto/chat-rpc';
import { CHAT_CHANGES_CHANNEL, chatChangeSchema, type ChatChange } from '../src/contracts.js';
import { backends, startChat, uniqueMeeting, type Harness } from './helpers.js';

describe.each(backends)('read markers and REST changes on $name', (backend) => {
  let h: Harness;
  let busKv: BusKv;
  const changes: ChatChange[] = [];
  beforeAll(async () => {
    busKv = await createBusKv({ namespace: `chat-markers-${Date.now()}:` });
    await busKv.bus.subscribe(CHAT_CHANGES_CHANNEL, (m) => void changes.push(chatChangeSchema.parse(m)));
    h = await startChat(backend, { ratePerSecond: 1000, rateBurst: 1000 }, busKv.bus);
  });
  afterAll(async () => {
    await h?.close();
    await busKv?.close();
    await backend.cleanup();
  });

  const post = (meetingId: string, sender: string, text: string, to = '') => {
    const request: PostMessageRequest = {
      meetingId,
      senderIdentity: sender,
      senderName: sender,
      senderSid: '',
      text,
      toIdentity: to,
      toName: to,
    };
    return unary(h.client.postMessage.bind(h.client), request).then((r) => r.message!);
  };
  const mark = (meetingId: string, identity: string, seq: number) =>
    unary(h.client.markRead.bind(h.client), { meetingId, identity, seq }).then((r) => r.lastReadSeq);
  const newest = (meetingId: string, viewer: string, beforeSeq = 0) =>
    unary(h.client.listMessages.bind(h.client), { meetingId, viewerIdentity: viewer, beforeSeq, limit: 2 });

  it('counts unread messages from the marker: others only, visible ones, not deleted', async () => {
    const meetingId = uniqueMeeting();
    expect(await newest(meetingId, 'usr_bob')).toMatchObject({ lastReadSeq: 0, unreadCount: 0 });
    await post(meetingId, 'usr_ann', 'one');
    await post(meetingId, 'usr_ann', 'two');
    await post(meetingId, 'usr_bob', 'my own');
    await post(meetingId, 'usr_ann', 'to carol only', 'usr_carol');
    const gone = await post(meetingId, 'usr_ann', 'deleted later');
    await post(meetingId, 'usr_ann', 'six');
    await unary(h.client.deleteMessage.bind(h.client), {
      meetingId,
      messageId: gone.id,
      actorIdentity: 'usr_ann',
      actorIsHost: false,
    });
    // Bob read nothing yet: ann's three; his own, carol's private one and the deleted one do not count.
    expect(await newest(meetingId, 'usr_bob')).toMatchObject({ lastReadSeq: 0, unreadCount: 3 });
    expect(await mark(meetingId, 'usr_bob', 2)).toBe(2);
    expect(await newest(meetingId, 'usr_bob')).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
    // The marker never moves back, and never past the newest message.
    expect(await mark(meetingId, 'usr_bob', 1)).toBe(2);
    expect(await mark(meetingId, 'usr_bob', 1_000_000)).toBe(6);
    expect(await newest(meetingId, 'usr_bob')).toMatchObject({ lastReadSeq: 6, unreadCount: 0 });
    // Carol's marker is her own (bob's message and her private one count for her); older pages carry
    // no read state.
    expect(await newest(meetingId, 'usr_carol')).toMatchObject({ lastReadSeq: 0, unreadCount: 5 });
    expect(await newest(meetingId, 'usr_carol', 3)).toMatchObject({ lastReadSeq: 0, unreadCount: 0 });
    // A marker in a meeting without messages stays at 0.
    expect(await mark(uniqueMeeting(), 'usr_bob', 5)).toBe(0);
  });

  it('refuses a negative seq with INVALID_ARGUMENT', async () => {
    await expect(mark(uniqueMeeting(), 'usr_bob', -1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('announces edits and deletes made over REST on the bus, and nothing for changes over gRPC', async () => {
    const meetingId = uniqueMeeting();
    const mine = await post(meetingId, 'gst_ann', 'first words');
    const other = await post(meetingId, 'gst_ann', 'second words');
    await unary(h.client.editMessage.bind(h.client), {
      meetingId,
      messageId: other.id,
      actorIdentity: 'gst_ann',
      text: 'edited in the room',
    });
    const ann = await h.tokens.sign({ identity: 'gst_ann', room: meetingId });
    const url = `${h.http}/api/chat/meetings/${meetingId}/messages/${mine.id}`;
    const headers = { authorization: `Bearer ${ann}`, 'content-type': 'application/json' };
    const edited = await fetch(url, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ text: 'new words' }),
    });
    expect(edited.status).toBe(200);
    const deleted = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${ann}` } });
    expect(deleted.status).toBe(200);

    await expect.poll(() => changes.filter((c) => c.meetingId === meetingId).length).toBe(2);
    const seen = changes.filter((c) => c.meetingId === meetingId);
    expect(seen[0]).toMatchObject({ kind: 'edited', message: { id: mine.id, text: 'new words', seq: 1 } });
    expect(seen[1]).toMatchObject({
      kind: 'deleted',
      deletedBy: 'gst_ann',
      message: { id: mine.id, text: '', deleted: true },
    });
  });
});
