// REST routes of the chat service, behind the gateway under /api/chat. Posting happens over the
// signaling WebSocket (it needs a joined participant); REST reads the history by cursor, which also
// serves the chat of a meeting after it ended, and edits or deletes messages.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseOrThrow } from '@origo/kit';
import type { CallerResolver } from '@origo/control/meeting-access';
import { MAX_PAGE, type ChatStore } from '../chat-store.js';
import type { ChatMessageRow } from '../db/schema.js';
import { messageJson } from '../views.js';

/** Told of every edit and delete stored over REST, so the room hears of it (see contracts.ts). */
export type ChangeListener = (kind: 'edited' | 'deleted', row: ChatMessageRow) => void;

const meetingParams = z.strictObject({ id: z.string().min(1).max(128) });
const messageParams = z.strictObject({
  id: z.string().min(1).max(128),
  messageId: z.string().min(1).max(64),
});
/** What a history cursor may be, said the same way whichever check refuses it. */
const SEQ_RANGE = `must be a seq from 0 (newest) to ${Number.MAX_SAFE_INTEGER}`;
const historyQuery = z.strictObject({
  before_seq: z
    .string()
    .refine((v) => /^\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v)), { message: SEQ_RANGE })
    .transform(Number)
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
});
const editBody = z.strictObject({ text: z.string() });

export function registerRoutes(
  app: FastifyInstance,
  deps: { store: ChatStore; resolveCaller: CallerResolver; onChanged: ChangeListener },
): void {
  const { store, resolveCaller, onChanged } = deps;
  const caller = (request: FastifyRequest, meetingId: string) => resolveCaller(request, meetingId);

  app.get('/api/chat/meetings/:id/messages', async (request) => {
    const { id } = parseOrThrow(meetingParams, request.params);
    const query = parseOrThrow(historyQuery, request.query);
    const who = await caller(request, id);
    const page = await store.history({
      meetingId: id,
      viewer: who.identity,
      beforeSeq: query.before_seq,
      limit: query.limit,
    });
    const first = page.messages[0];
    return {
      messages: page.messages.map(messageJson),
      has_more: page.hasMore,
      next_before_seq: page.hasMore && first !== undefined ? first.seq : null,
    };
  });

  app.patch('/api/chat/meetings/:id/messages/:messageId', async (request) => {
    const { id, messageId } = parseOrThrow(messageParams, request.params);
    const body = parseOrThrow(editBody, request.body, 'Invalid request body');
    const who = await caller(request, id);
    const row = await store.edit({ meetingId: id, messageId, actor: who.identity, text: body.text });
    onChanged('edited', row);
    return messageJson(row);
  });

  app.delete('/api/chat/meetings/:id/messages/:messageId', async (request) => {
    const { id, messageId } = parseOrThrow(messageParams, request.params);
    const who = await caller(request, id);
    const row = await store.delete({ meetingId: id, messageId, actor: who.identity, actorIsHost: who.host });
    onChanged('deleted', row);
    return messageJson(row);
  });
}
