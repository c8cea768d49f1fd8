// Chat events between signaling nodes, carried on the room's bus channel next to the room events
// (roomEvents.ts includes these in its union). They come from another process, so they are validated.
import { chatMessageSchema } from '@origo/chat/contracts';
import { ReactionKind, type RaisedHand } from '@origo/proto/signal';
import { z } from 'zod';

const id = z.string().min(1).max(256);
const optionalId = z.string().max(256);
const ms = z.number().int().min(0);

const raisedHandSchema: z.ZodType<RaisedHand> = z.object({
  participantSid: optionalId,
  identity: id,
  name: z.string().max(256),
  raisedAt: ms,
});

const reactionKind = z
  .number()
  .int()
  .refine(
    (v) => v !== ReactionKind.REACTION_KIND_UNSPECIFIED && Object.values(ReactionKind).includes(v),
    'unknown reaction',
  ) as unknown as z.ZodType<ReactionKind>;

/** Members of the room event union: a message, its edit or deletion, a reaction, hands, typing. */
export const chatEventSchemas = [
  z.object({
    t: z.literal('chat'),
    kind: z.enum(['message', 'edited']),
    message: chatMessageSchema,
    /** Sid of the session that asked; it got the reply already. */
    from: optionalId,
  }),
  z.object({
    t: z.literal('chatDeleted'),
    messageId: id,
    seq: z.number().int().min(1),
    deletedBy: id,
    /** The two parties of a private message (empty `to`: everyone sees it). */
    sender: id,
    to: optionalId,
    from: optionalId,
  }),
  z.object({ t: z.literal('reaction'), sid: id, name: z.string().max(256), kind: reactionKind }),
  z.object({ t: z.literal('hands'), hands: z.array(raisedHandSchema).max(10_000) }),
  z.object({ t: z.literal('typing'), sid: id, name: z.string().max(256), typing: z.boolean() }),
] as const;

export type ChatEvent = z.infer<(typeof chatEventSchemas)[number]>;
