// Contracts between the chat role and signaling that do not travel over gRPC. Kept free of heavy imports
// (zod and generated types) so signaling can import `@origo/chat/contracts` without the database.
//
// Direction chat -> signaling: an edit or delete made over REST (not through a signaling session) is
// published on the kit bus channel `chat-changes` after it is stored. Every signaling node subscribes and
// delivers it to the sessions of that meeting it holds, as it does for changes made in the room.
// Delivery is at most once: clients that miss it see the change on their next history read.
import { z } from 'zod';
import type { ChatMessage as StoredMessage } from '@origo/proto/chat-rpc';
import type { ChatMessage } from '@origo/proto/signal';

/** Kit bus channel of chat changes made over REST, chat -> signaling. */
export const CHAT_CHANGES_CHANNEL = 'chat-changes';

const id = z.string().min(1).max(256);
const optionalId = z.string().max(256);
const ms = z.number().int().min(0);

/** A message as the public signal protocol carries it (it comes from another process: validated). */
export const chatMessageSchema: z.ZodType<ChatMessage> = z.object({
  id,
  seq: z.number().int().min(1),
  senderIdentity: id,
  senderName: z.string().max(256),
  senderSid: optionalId,
  text: z.string().max(64 * 1024),
  toIdentity: optionalId,
  toName: z.string().max(256),
  sentAt: ms,
  editedAt: ms,
  deleted: z.boolean(),
});

/** A stored message (ChatService's form) as the public signal protocol shows it. */
export function toSignalMessage(m: StoredMessage): ChatMessage {
  return {
    id: m.id,
    seq: m.seq,
    senderIdentity: m.senderIdentity,
    senderName: m.senderName,
    senderSid: m.senderSid,
    text: m.text,
    toIdentity: m.toIdentity,
    toName: m.toName,
    sentAt: m.sentAtMs,
    editedAt: m.editedAtMs,
    deleted: m.deleted,
  };
}

/** One change: the message after an edit, or after a delete (text empty, `deleted` set). */
export const chatChangeSchema = z.object({
  /** Version of this contract; a consumer ignores versions it does not know. */
  v: z.literal(1),
  kind: z.enum(['edited', 'deleted']),
  meetingId: id,
  /** Identity of who deleted it; empty for an edit. */
  deletedBy: optionalId,
  message: chatMessageSchema,
});
export type ChatChange = z.infer<typeof chatChangeSchema>;
