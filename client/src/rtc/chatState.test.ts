import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@origo/proto/signal';
import { linkParts } from '../meeting/chatLinks.js';
import { initialChatState, markDeleted, mergeHistory, messageBytes, upsertMessage } from './chatState.js';

const msg = (seq: number, text = `m${seq}`): ChatMessage => ({
  id: `msg_${seq}`,
  seq,
  senderIdentity: 'a',
  senderName: 'A',
  senderSid: 'PA_a',
  text,
  toIdentity: '',
  toName: '',
  sentAt: 1,
  editedAt: 0,
  deleted: false,
});

describe('chat state', () => {
  it('keeps messages in seq order whatever order they arrive in, once each', () => {
    const s = initialChatState();
    for (const seq of [3, 1, 4, 2, 3]) upsertMessage(s, msg(seq));
    expect(s.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(upsertMessage(s, msg(2, 'edited'))).toBe(false);
    expect(s.messages[1]!.text).toBe('edited');
  });

  it('merges an older page before the newer messages and tracks whether more exist', () => {
    const s = initialChatState();
    mergeHistory(s, [msg(5), msg(6)], true, false);
    expect(s.hasMore).toBe(true);
    mergeHistory(s, [msg(3), msg(4)], false, true);
    expect(s.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(s.hasMore).toBe(false);
  });

  it('turns a deleted message into a tombstone', () => {
    const s = initialChatState();
    upsertMessage(s, msg(1, 'secret'));
    markDeleted(s, 'msg_1');
    expect(s.messages[0]).toMatchObject({ deleted: true, text: '' });
  });

  it('counts bytes of UTF-8 as the server does', () => {
    expect(messageBytes('abc')).toBe(3);
    expect(messageBytes('\u20ac')).toBe(3);
  });
});

describe('links in messages', () => {
  it('links http and https addresses only, without trailing punctuation', () => {
    expect(linkParts('see https://example.org/a?b=1. and javascript:alert(1)')).toEqual([
      { text: 'see ' },
      { text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { text: '. and javascript:alert(1)' },
    ]);
    expect(linkParts('<a href="http://x">')).toEqual([
      { text: '<a href="' },
      { text: 'http://x', href: 'http://x' },
      { text: '">' },
    ]);
    expect(linkParts('plain')).toEqual([{ text: 'plain' }]);
  });
});
