// Chat through signaling with the real chat role: two signaling nodes sharing one bus (Redis too when
// REDIS_URL is set), participants on both, messages to everyone and private ones, edit and delete rules,
// reactions, raised hands lowered by the host, typing, history on join, limits and verbatim markup, read
// markers that survive a rejoin, and edits and deletes made over REST reaching the room live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@origo/kit';
import type { Bus } from '@origo/kit/bus';
import {
  createCallerResolver,
  createChatService,
  openChatDatabase,
  type ChatDatabase,
  type ChatService,
} from '@origo/chat';
import { grpcChatBackend, localKeySource, type ChatBackend } from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

const variants: Array<{ name: string; redisUrl?: string }> = [{ name: 'in-memory bus' }];
if (process.env['REDIS_URL']) variants.push({ name: 'Redis', redisUrl: process.env['REDIS_URL'] });

interface Chat {
  service: ChatService;
  backend: ChatBackend;
  grpc: string;
  /** REST base URL (join tokens of the stack's key are accepted when `rest` was given). */
  http: string;
  close(): Promise<void>;
}

async function startChat(
  limits: { rateBurst: number; ratePerSecond: number },
  rest?: { joinTokenJwk: string; bus: Bus },
): Promise<Chat> {
  const database: ChatDatabase = await openChatDatabase({ dataDir: 'memory://' });
  const service = await createChatService({
    database,
    limits,
    resolveCaller: rest
      ? createCallerResolver({
          joinTokenKeys: localKeySource(rest.joinTokenJwk),
          resolvePrincipal: () => Promise.resolve(null),
          meetingLookup: () => Promise.reject(new Error('signed-in users are not under test here')),
        })
      : () => Promise.reject(AppError.unauthenticated('REST is not under test here')),
    ...(rest ? { bus: rest.bus } : {}),
  });
  const { grpc, http } = await service.listen();
  const backend = grpcChatBackend(() => grpc, 30_000);
  return {
    service,
    backend,
    grpc,
    http,
    async close() {
      backend.close();
      await service.close();
      await database.close();
    },
  };
}

interface Person {
  client: SignalClient;
  sid: string;
  token: string;
}

const error = (reply: Json) => reply['error'] as Json | undefined;
const chatText = (m: Json) => (m['chatMessage'] as Json | undefined)?.['text'];

describe.each(variants)('chat across two signaling nodes ($name)', ({ redisUrl }) => {
  let chat: Chat;
  let stack: Stack;
  const people: SignalClient[] = [];
  const room = `chat-${Date.now().toString(36)}`;

  async function join(node: number, identity: string, host = false, inRoom = room): Promise<Person> {
    const client = await SignalClient.open(stack.nodes[node]!.wsUrl);
    people.push(client);
    const token = await stack.token(identity, {
      room: inRoom,
      name: identity.toUpperCase(),
      grants: { publish: true, subscribe: true, host },
    });
    const reply = await client.request({ join: { token } });
    const joined = reply['joinResponse'] as Json | undefined;
    if (!joined) throw new Error(`join failed: ${JSON.stringify(reply)}`);
    return { client, sid: (joined['participant'] as Json)['sid'] as string, token };
  }

  beforeAll(async () => {
    // The nodes reach the chat role through a backend whose address is known once chat listens; chat
    // needs the stack's join-token key and bus for REST.
    const address: { grpc?: string } = {};
    const backend = grpcChatBackend(() => address.grpc, 30_000);
    stack = await startStack({ nodes: 2, chat: backend, ...(redisUrl ? { redisUrl } : {}) });
    chat = await startChat(
      { rateBurst: 1000, ratePerSecond: 1000 },
      { joinTokenJwk: stack.jwk, bus: stack.nodes[0]!.busKv.bus },
    );
    address.grpc = chat.grpc;
  });
  afterAll(async () => {
    for (const c of people) c.close();
    await stack?.close();
    await chat?.close();
  });

  it('delivers, edits, deletes, reacts, raises and lowers hands across nodes', async () => {
    const alice = await join(0, 'alice', true);
    const bob = await join(1, 'bob');
    const carol = await join(1, 'carol');

    // To everyone: the sender's reply and everyone else's push carry the same id and seq.
    const xss = '<img src=x onerror="alert(1)"> <script>alert(2)</script> &amp;';
    const sent = await bob.client.request({ sendChat: { text: xss } });
    const message = sent['chatMessage'] as Json;
    expect(message).toMatchObject({ text: xss, seq: 1, senderIdentity: 'bob', senderName: 'BOB' });
    for (const p of [alice, carol]) {
      const got = await p.client.next(
        (m) => (m['chatMessage'] as Json | undefined)?.['id'] === message['id'],
      );
      expect(chatText(got)).toBe(xss);
    }

    // Private: alice (node A) to bob (node B); carol never sees it.
    const secret = await alice.client.request({
      sendChat: { text: 'for bob only', toParticipantSid: bob.sid },
    });
    expect(secret['chatMessage']).toMatchObject({ seq: 2, toIdentity: 'bob', toName: 'BOB' });
    await bob.client.next((m) => chatText(m) === 'for bob only');
    const third = await carol.client.request({ sendChat: { text: 'third' } });
    expect((third['chatMessage'] as Json)['seq']).toBe(3);
    await alice.client.next((m) => chatText(m) === 'third');
    await bob.client.next((m) => chatText(m) === 'third');
    expect(carol.client.received.some((m) => chatText(m) === 'for bob only')).toBe(false);
    const unknown = await alice.client.request({ sendChat: { text: 'x', toParticipantSid: 'PA_nobody' } });
    expect(error(unknown)?.['code']).toBe('ERROR_CODE_NOT_FOUND');

    // Edit: only the author. Delete: the author or the host.
    const id = message['id'] as string;
    const notAuthor = await alice.client.request({ editChat: { messageId: id, text: 'host rewrites' } });
    expect(error(notAuthor)?.['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    const edited = await bob.client.request({ editChat: { messageId: id, text: 'plain now' } });
    expect(edited['chatEdited']).toMatchObject({ id, text: 'plain now' });
    await alice.client.next((m) => (m['chatEdited'] as Json | undefined)?.['text'] === 'plain now');
    const thirdId = (third['chatMessage'] as Json)['id'] as string;
    const bobDeletes = await bob.client.request({ deleteChat: { messageId: thirdId } });
    expect(error(bobDeletes)?.['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    const hostDeletes = await alice.client.request({ deleteChat: { messageId: thirdId } });
    expect(hostDeletes['chatDeleted']).toMatchObject({ messageId: thirdId, deletedBy: 'alice' });
    for (const p of [bob, carol])
      await p.client.next((m) => (m['chatDeleted'] as Json | undefined)?.['messageId'] === thirdId);

    // Limits come back with their own codes.
    const big = await bob.client.request({ sendChat: { text: 'y'.repeat(5000) } });
    expect(error(big)).toMatchObject({ code: 'ERROR_CODE_MESSAGE_TOO_LARGE' });
    expect(error(big)?.['message']).toMatch(/5000 bytes; at most 4096/);
    const empty = await bob.client.request({ sendChat: { text: '   ' } });
    expect(error(empty)?.['code']).toBe('ERROR_CODE_INVALID_REQUEST');

    // Reactions and typing reach the others.
    await bob.client.request({ sendReaction: { kind: 'REACTION_KIND_APPLAUSE' } });
    const reaction = await alice.client.next((m) => 'reaction' in m);
    expect(reaction['reaction']).toMatchObject({
      participantSid: bob.sid,
      name: 'BOB',
      kind: 'REACTION_KIND_APPLAUSE',
    });
    const noKind = await bob.client.request({ sendReaction: {} });
    expect(error(noKind)?.['code']).toBe('ERROR_CODE_INVALID_REQUEST');
    await carol.client.request({ typing: { typing: true } });
    const typing = await alice.client.next((m) => 'typing' in m);
    expect(typing['typing']).toMatchObject({ participantSid: carol.sid, typing: true });

    // Hands: in the order raised; only the host lowers someone else's.
    const hands = (m: Json) =>
      (((m['handsChanged'] as Json | undefined)?.['hands'] as Json[] | undefined) ?? []).map(
        (h) => h['identity'],
      );
    await bob.client.request({ raiseHand: {} });
    await alice.client.next((m) => hands(m).join() === 'bob');
    await carol.client.request({ raiseHand: {} });
    await alice.client.next((m) => hands(m).join() === 'bob,carol');
    const bobLowersCarol = await bob.client.request({ lowerHand: { participantSid: carol.sid } });
    expect(error(bobLowersCarol)?.['code']).toBe('ERROR_CODE_PERMISSION_DENIED');
    await alice.client.request({ lowerHand: { participantSid: bob.sid } });
    await bob.client.next((m) => 'handsChanged' in m && hands(m).join() === 'carol');

    // A late joiner asks for history: what it may see (no private message), deletions as tombstones, hands.
    const dave = await join(0, 'dave');
    const history = await dave.client.request({ chatHistory: { limit: 10 } });
    const messages = (history['chatHistory'] as Json)['messages'] as Json[];
    expect(messages.map((m) => [m['seq'], m['text'] ?? '', m['deleted'] ?? false])).toEqual([
      [1, 'plain now', false],
      [3, '', true],
    ]);
    await dave.client.next((m) => 'handsChanged' in m && hands(m).join() === 'carol');
  });

  it('keeps a read marker per participant, so the unread count survives a rejoin', async () => {
    const markers = `${room}-read`;
    const ann = await join(0, 'ann', false, markers);
    const ben = await join(1, 'ben', false, markers);
    for (const text of ['one', 'two', 'three'])
      expect((await ann.client.request({ sendChat: { text } }))['chatMessage']).toBeDefined();
    const first = (await ben.client.request({ chatHistory: {} }))['chatHistory'] as Json;
    expect(first).toMatchObject({ unreadCount: 3 });
    expect(first['lastReadSeq'] ?? 0).toBe(0);
    expect((await ben.client.request({ markChatRead: { seq: 2 } }))['ack']).toBeDefined();

    // Ben reloads the page: a new session on the other node learns where he stopped.
    await ben.client.request({ leave: {} });
    const again = await join(0, 'ben', false, markers);
    const history = (await again.client.request({ chatHistory: {} }))['chatHistory'] as Json;
    expect(history).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
    const older = (await again.client.request({ chatHistory: { beforeSeq: 3 } }))['chatHistory'] as Json;
    expect(older['unreadCount'] ?? 0).toBe(0);
  });

  it('delivers edits and deletes made over REST to the room on both nodes', async () => {
    const rest = `${room}-rest`;
    const host = await join(0, 'hana', true, rest);
    const writer = await join(1, 'will', false, rest);
    const sent = (await writer.client.request({ sendChat: { text: 'typo here' } }))['chatMessage'] as Json;
    const id = sent['id'] as string;
    await host.client.next((m) => (m['chatMessage'] as Json | undefined)?.['id'] === id);
    const url = `${chat.http}/api/chat/meetings/${rest}/messages/${id}`;
    const patched = await fetch(url, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${writer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'fixed over REST' }),
    });
    expect(patched.status).toBe(200);
    // Both the other node's host and the author's own session (which did not make the change) hear of it.
    for (const p of [host, writer]) {
      const edited = await p.client.next((m) => (m['chatEdited'] as Json | undefined)?.['id'] === id);
      expect(edited['chatEdited']).toMatchObject({ text: 'fixed over REST', seq: sent['seq'] });
    }
    const removed = await fetch(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${host.token}` },
    });
    expect(removed.status).toBe(200);
    for (const p of [host, writer]) {
      const deleted = await p.client.next(
        (m) => (m['chatDeleted'] as Json | undefined)?.['messageId'] === id,
      );
      expect(deleted['chatDeleted']).toMatchObject({ deletedBy: 'hana' });
    }
  });

  it('orders the messages of concurrent senders the same way for everyone', async () => {
    const senders = await Promise.all([join(0, 's1'), join(1, 's2'), join(0, 's3'), join(1, 's4')]);
    const perSender = 8;
    const before = Number(
      ((
        ((await senders[0]!.client.request({ chatHistory: { limit: 1 } }))['chatHistory'] as Json)[
          'messages'
        ] as Json[]
      )[0]?.['seq'] as number | undefined) ?? 0,
    );
    const seen = senders.map(() => new Map<number, string>());
    senders.forEach((p, i) =>
      p.client.onMessage((m) => {
        const msg = m['chatMessage'] as Json | undefined;
        if (msg && String(msg['text']).startsWith('c:'))
          seen[i]!.set(msg['seq'] as number, msg['text'] as string);
      }),
    );
    await Promise.all(
      senders.map(async (p, i) => {
        for (let k = 0; k < perSender; k++) {
          const reply = await p.client.request({ sendChat: { text: `c:${i}:${k}` } });
          expect(reply['chatMessage']).toBeDefined();
        }
      }),
    );
    const total = senders.length * perSender;
    const expected = Array.from({ length: total }, (_, i) => before + i + 1);
    for (const [i, p] of senders.entries()) {
      await expect.poll(() => seen[i]!.size, { timeout: 60_000, interval: 50 }).toBe(total);
      const bySeq = [...seen[i]!.entries()].sort((a, b) => a[0] - b[0]);
      expect(bySeq.map(([seq]) => seq)).toEqual(expected);
      // Every sender's own messages keep the order it sent them in.
      for (let s = 0; s < senders.length; s++) {
        const own = bySeq.map(([, text]) => text).filter((t) => t.startsWith(`c:${s}:`));
        expect(own).toEqual(Array.from({ length: perSender }, (_, k) => `c:${s}:${k}`));
      }
      expect(p.client.isOpen).toBe(true);
    }
  });
});

describe('chat limits through signaling', () => {
  let chat: Chat;
  let stack: Stack;
  beforeAll(async () => {
    chat = await startChat({ rateBurst: 2, ratePerSecond: 1 });
    stack = await startStack({ chat: chat.backend });
  });
  afterAll(async () => {
    await stack?.close();
    await chat?.close();
  });

  it('answers RATE_LIMITED with a clear message when a participant sends too fast', async () => {
    const client = await SignalClient.open(stack.nodes[0]!.wsUrl);
    try {
      await client.request({ join: { token: await stack.token('fast', { room: 'limits' }) } });
      expect((await client.request({ sendChat: { text: 'one' } }))['chatMessage']).toBeDefined();
      expect((await client.request({ sendChat: { text: 'two' } }))['chatMessage']).toBeDefined();
      const third = await client.request({ sendChat: { text: 'three' } });
      expect(error(third)).toMatchObject({ code: 'ERROR_CODE_RATE_LIMITED' });
      expect(error(third)?.['message']).toMatch(/Too many messages; wait \d+ s/);
    } finally {
      client.close();
    }
  });
});

describe('chat without a chat role', () => {
  it('answers UNAVAILABLE and keeps the session', async () => {
    const stack = await startStack();
    const client = await SignalClient.open(stack.nodes[0]!.wsUrl);
    try {
      await client.request({ join: { token: await stack.token('lonely', { room: 'nochat' }) } });
      const reply = await client.request({ sendChat: { text: 'hello?' } });
      expect(error(reply)?.['code']).toBe('ERROR_CODE_UNAVAILABLE');
      await client.ping();
    } finally {
      client.close();
      await stack.close();
    }
  });
});
