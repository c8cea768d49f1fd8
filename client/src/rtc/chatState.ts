// The chat as the page shows it: messages in server order (seq), raised hands in the order raised, who is
// typing, recent reactions, and how many messages arrived while the panel was closed. Pure functions over
// a plain object, so the rules are tested without a browser.
import { ReactionKind, type ChatMessage, type RaisedHand } from '@origo/proto/signal';

export interface ReactionShown {
  id: number;
  participantSid: string;
  name: string;
  kind: ReactionKind;
}

export interface ChatState {
  /** Oldest first, by seq; one entry per message id. */
  messages: ChatMessage[];
  hasMore: boolean;
  hands: RaisedHand[];
  /** Participant sid -> display name, while they type. */
  typing: Record<string, string>;
  reactions: ReactionShown[];
  unread: number;
  /** The last chat request that failed, in words. */
  error: string | null;
}

export function initialChatState(): ChatState {
  return { messages: [], hasMore: false, hands: [], typing: {}, reactions: [], unread: 0, error: null };
}

/** Inserts or replaces by id, keeping seq order; returns true when the message is new. */
export function upsertMessage(s: ChatState, m: ChatMessage): boolean {
  const at = s.messages.findIndex((x) => x.id === m.id);
  if (at >= 0) {
    s.messages[at] = m;
    return false;
  }
  let i = s.messages.length;
  while (i > 0 && s.messages[i - 1]!.seq > m.seq) i--;
  s.messages.splice(i, 0, m);
  return true;
}

/** A page of history merged in (a rejoin reloads the newest page; older pages come before). */
export function mergeHistory(
  s: ChatState,
  page: readonly ChatMessage[],
  hasMore: boolean,
  older: boolean,
): void {
  for (const m of page) upsertMessage(s, m);
  if (older || s.messages.length === page.length) s.hasMore = hasMore;
}

export function markDeleted(s: ChatState, messageId: string): void {
  const m = s.messages.find((x) => x.id === messageId);
  if (m) {
    m.deleted = true;
    m.text = '';
  }
}

/** The product's own words for reactions (never emoji). */
export const REACTIONS: ReadonlyArray<{ kind: ReactionKind; label: string }> = [
  { kind: ReactionKind.REACTION_KIND_APPLAUSE, label: 'Applause' },
  { kind: ReactionKind.REACTION_KIND_AGREE, label: 'Agree' },
  { kind: ReactionKind.REACTION_KIND_LAUGH, label: 'Laugh' },
  { kind: ReactionKind.REACTION_KIND_SURPRISE, label: 'Surprise' },
  { kind: ReactionKind.REACTION_KIND_CELEBRATE, label: 'Celebrate' },
];

export function reactionLabel(kind: ReactionKind): string {
  return REACTIONS.find((r) => r.kind === kind)?.label ?? 'Reaction';
}

/** Size limit of a message, as the server counts it (bytes of UTF-8). */
export const MAX_MESSAGE_BYTES = 4096;

export function messageBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
