// The chat role end to end through its real gRPC API and REST: ordering and history under concurrent
// senders, private messages, edit/delete permissions with audit, size and rate limits, verbatim text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { AppError, unary } from '@origo/kit';
import type { ChatServiceClient, PostMessageRequest } from '@origo/proto/chat-rpc';
import { chatSchema } from '../src/index.js';
import { backends, startChat, uniqueMeeting, type Harness } from './helpers.js';

const XSS = [
  '<script>alert(1)</script>',
  '<img src=x onerror="alert(document.cookie)">',
  '"><svg/onload=alert(1)>',
  "javascript:alert('x')",
  '&lt;b&gt;already escaped&lt;/b&gt; & <b>bold</b>',
  '[link](javascript:alert(1)) https://example.org/?q=<x>',
];

function post(
  client: ChatServiceClient,
  input: Partial<PostMessageRequest> & { meetingId: string; text: string },
) {
  const request: PostMessageRequest = {
    senderIdentity: 'usr_a',
    senderName: 'Ann',
    senderSid: 'PA_a',
    toIdentity: '',
    toName: '',
    ...input,
  };
  return unary(client.postMessage.bind(client), request).then((r) => r.message!);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe.each(backends)('chat on $name', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startChat(backend, { ratePerSecond: 1000, rateBurst: 1000 });
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  it('orders messages of concurrent senders with seqs 1..N, and pages history by cursor', async () => {
    const meetingId = uniqueMeeting();
    const senders = ['usr_1', 'usr_2', 'usr_3', 'usr_4', 'usr_5'];
    const perSender = 12;
    await Promise.all(
      senders.map(async (sender) => {
        for (let i = 0; i < perSender; i++)
          await post(h.client, { meetingId, senderIdentity: sender, text: `${sender} #${i}` });
      }),
    );
    const total = senders.length * perSender;
    // Read back in pages of 7 from the newest: every message exactly once, seq 1..total in order.
    const seen: { seq: number; senderIdentity: string; text: string }[] = [];
    let before = 0;
    for (;;) {
      const page = await unary(h.client.listMessages.bind(h.client), {
        meetingId,
        viewerIdentity: 'usr_1',
        beforeSeq: before,
        limit: 7,
      });
      seen.unshift(...page.messages);
      if (!page.hasMore) break;
      before = page.messages[0]!.seq;
    }
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const sender of senders) {
      const own = seen.filter((m) => m.senderIdentity === sender).map((m) => m.text);
      expect(own).toEqual(Array.from({ length: perSender }, (_, i) => `${sender} #${i}`));
    }
  });

  it('gives posts written in one batch (group commit) gapless seqs in arrival order, per meeting', async () => {
    const meetings = [uniqueMeeting(), uniqueMeeting()];
    const posted = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        h.service.store.post({
          meetingId: meetings[i % 2]!,
          senderIdentity: `usr_${i % 3}`,
          senderName: 'N',
          senderSid: '',
          text: `batch ${i}`,
        }),
      ),
    );
    for (const [k, meetingId] of meetings.entries()) {
      const mine = posted.filter((m) => m.meetingId === meetingId);
      expect(mine.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(mine.map((m) => m.text)).toEqual(Array.from({ length: 30 }, (_, i) => `batch ${2 * i + k}`));
    }
  });

  it('shows private messages only to their sender and recipient', async () => {
    const meetingId = uniqueMeeting();
    await post(h.client, { meetingId, text: 'to all' });
    const secret = await post(h.client, {
      meetingId,
      text: 'just for Bob',
      toIdentity: 'usr_b',
      toName: 'Bob',
    });
    expect(secret.toIdentity).toBe('usr_b');
    const view = async (viewer: string) =>
      (
        await unary(h.client.listMessages.bind(h.client), {
          meetingId,
          viewerIdentity: viewer,
          beforeSeq: 0,
          limit: 0,
        })
      ).messages.map((m) => m.text);
    expect(await view('usr_a')).toEqual(['to all', 'just for Bob']);
    expect(await view('usr_b')).toEqual(['to all', 'just for Bob']);
    expect(await view('usr_c')).toEqual(['to all']);
  });

  it('lets only the author edit, the author or a host delete, and audits both', async () => {
    const meetingId = uniqueMeeting();
    const m = await post(h.client, { meetingId, text: 'first draft' });
    const edit = (actor: string, text: string) =>
      unary(h.client.editMessage.bind(h.client), { meetingId, messageId: m.id, actorIdentity: actor, text });
    const del = (actor: string, host: boolean, id = m.id) =>
      unary(h.client.deleteMessage.bind(h.client), {
        meetingId,
        messageId: id,
        actorIdentity: actor,
        actorIsHost: host,
      });

    const notAuthor = await rejection(edit('usr_b', 'hijacked'));
    expect(notAuthor.code).toBe('PERMISSION_DENIED');
    const edited = (await edit('usr_a', 'final text')).message!;
    expect(edited.text).toBe('final text');
    expect(edited.editedAtMs).toBeGreaterThan(0);
    expect((await rejection(del('usr_b', false))).code).toBe('PERMISSION_DENIED');

    const other = await post(h.client, { meetingId, senderIdentity: 'usr_b', text: 'off topic' });
    const byHost = (await del('usr_host', true, other.id)).message!;
    expect(byHost).toMatchObject({ deleted: true, text: '', deletedBy: 'usr_host', seq: other.seq });
    const own = (await del('usr_a', false)).message!;
    expect(own.deleted).toBe(true);
    expect((await rejection(edit('usr_a', 'after delete'))).code).toBe('FAILED_PRECONDITION');

    const audit = await h.database.db
      .select()
      .from(chatSchema.auditEvents)
      .where(eq(chatSchema.auditEvents.meetingId, meetingId))
      .orderBy(chatSchema.auditEvents.id);
    expect(audit.map((a) => [a.action, a.actor, a.entityId])).toEqual([
      ['message.edited', 'usr_a', m.id],
      ['message.deleted', 'usr_host', other.id],
      ['message.deleted', 'usr_a', m.id],
    ]);
    expect(audit[0]!.before).toMatchObject({ text: 'first draft' });
    expect(audit[1]!.before).toMatchObject({ text: 'off topic', senderIdentity: 'usr_b' });
  });

  it('refuses empty and oversize messages with a clear error and stores nothing', async () => {
    const meetingId = uniqueMeeting();
    const exact = 'x'.repeat(4096);
    expect((await post(h.client, { meetingId, text: exact })).text).toBe(exact);
    const big = await rejection(post(h.client, { meetingId, text: 'x'.repeat(4097) }));
    expect(big.code).toBe('INVALID_ARGUMENT');
    expect(big.message).toMatch(/4097 bytes; at most 4096/);
    // Counted in bytes of UTF-8: 1366 three-byte characters are 4098 bytes.
    const wide = await rejection(post(h.client, { meetingId, text: '\u20ac'.repeat(1366) }));
    expect(wide.message).toMatch(/4098 bytes/);
    expect((await rejection(post(h.client, { meetingId, text: '  \n ' }))).code).toBe('INVALID_ARGUMENT');
    const page = await unary(h.client.listMessages.bind(h.client), {
      meetingId,
      viewerIdentity: 'usr_a',
      beforeSeq: 0,
      limit: 0,
    });
    expect(page.messages.map((m) => m.seq)).toEqual([1]);
  });

  it('stores and returns markup verbatim, over gRPC and REST', async () => {
    const meetingId = uniqueMeeting();
    for (const text of XSS) expect((await post(h.client, { meetingId, text })).text).toBe(text);
    const token = await h.tokens.sign({ identity: 'usr_a', room: meetingId });
    const response = await fetch(`${h.http}/api/chat/meetings/${meetingId}/messages`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { messages: { text: string }[] };
    expect(body.messages.map((m) => m.text)).toEqual(XSS);
  });

  it('serves REST history to holders of the meeting join token only, and edits/deletes by its rules', async () => {
    const meetingId = uniqueMeeting();
    const mine = await post(h.client, { meetingId, senderIdentity: 'gst_ann', text: 'hello' });
    await post(h.client, { meetingId, text: 'second' });
    await post(h.client, { meetingId, text: 'third' });
    const ann = await h.tokens.sign({ identity: 'gst_ann', room: meetingId });
    const bob = await h.tokens.sign({ identity: 'gst_bob', room: meetingId });
    const host = await h.tokens.sign({ identity: 'usr_host', room: meetingId, host: true });
    const otherRoom = await h.tokens.sign({ identity: 'gst_ann', room: uniqueMeeting() });
    const url = `${h.http}/api/chat/meetings/${meetingId}/messages`;
    const call = (token: string | undefined, path = '', init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      });

    expect((await call(undefined)).status).toBe(401);
    expect((await call('not.a.token')).status).toBe(401);
    expect((await call(otherRoom)).status).toBe(403);
    const expired = await h.tokens.sign({ identity: 'gst_ann', room: meetingId, expiresIn: -120 });
    expect((await call(expired)).status).toBe(401);

    const page1 = (await (await call(ann, '?limit=2')).json()) as {
      messages: { seq: number; text: string }[];
      next_before_seq: number | null;
    };
    expect(page1.messages.map((m) => m.text)).toEqual(['second', 'third']);
    const page2 = (await (await call(ann, `?limit=2&before_seq=${page1.next_before_seq}`)).json()) as {
      messages: { text: string }[];
      has_more: boolean;
    };
    expect(page2).toMatchObject({ has_more: false, messages: [{ text: 'hello' }] });
    expect((await call(ann, '?limit=1000')).status).toBe(400);
    // A cursor out of range is refused with the range it must be in, whichever check catches it.
    for (const bad of ['-1', '1.5', 'abc', '1e400', '99999999999999999999']) {
      const refused = await call(ann, `?before_seq=${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(((await refused.json()) as { errors: unknown }).errors, bad).toEqual([
        { field: 'before_seq', message: `must be a seq from 0 (newest) to ${Number.MAX_SAFE_INTEGER}` },
      ]);
    }

    const patch = (token: string, text: string) =>
      call(token, `/${mine.id}`, { method: 'PATCH', body: JSON.stringify({ text }) });
    expect((await patch(bob, 'not yours')).status).toBe(403);
    const tooBig = await patch(ann, 'y'.repeat(5000));
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { detail?: string; title?: string }).detail ?? '').toMatch(/5000 bytes/);
    expect(((await (await patch(ann, 'hello, edited')).json()) as { text: string }).text).toBe(
      'hello, edited',
    );
    expect((await call(bob, `/${mine.id}`, { method: 'DELETE' })).status).toBe(403);
    const deleted = (await (await call(host, `/${mine.id}`, { method: 'DELETE' })).json()) as {
      deleted: boolean;
      deleted_by: string;
    };
    expect(deleted).toMatchObject({ deleted: true, deleted_by: 'usr_host' });
    expect((await call(ann, '/msg_00000000000000000000000000000000', { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps raised hands in order; only a host lowers someone else’s, audited', async () => {
    const meetingId = uniqueMeeting();
    const raise = (identity: string) =>
      unary(h.client.raiseHand.bind(h.client), {
        meetingId,
        identity,
        name: identity,
        participantSid: `PA_${identity}`,
      });
    const lower = (identity: string, actor: string, host: boolean) =>
      unary(h.client.lowerHand.bind(h.client), {
        meetingId,
        identity,
        actorIdentity: actor,
        actorIsHost: host,
      });
    await raise('usr_a');
    await raise('usr_b');
    const hands = (await raise('usr_a')).hands.map((x) => x.identity);
    expect(hands).toEqual(['usr_a', 'usr_b']);
    expect((await rejection(lower('usr_a', 'usr_b', false))).code).toBe('PERMISSION_DENIED');
    expect((await lower('usr_b', 'usr_b', false)).hands.map((x) => x.identity)).toEqual(['usr_a']);
    expect((await lower('usr_a', 'usr_host', true)).hands).toEqual([]);
  });
});

describe('chat rate limit', () => {
  const backend = backends[0]!;
  let h: Harness;
  beforeAll(async () => {
    h = await startChat(backend, { ratePerSecond: 1, rateBurst: 3 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a sender over its burst with RESOURCE_EXHAUSTED, others still send', async () => {
    const meetingId = uniqueMeeting();
    for (let i = 0; i < 3; i++) await post(h.client, { meetingId, text: `burst ${i}` });
    const limited = await rejection(post(h.client, { meetingId, text: 'one too many' }));
    expect(limited.code).toBe('RESOURCE_EXHAUSTED');
    expect(limited.message).toMatch(/Too many messages; wait \d+ s/);
    expect((await post(h.client, { meetingId, senderIdentity: 'usr_b', text: 'me too' })).seq).toBe(4);
  });
});
