// Chat, reactions, raised hands and typing over the signaling session. The server orders messages (seq)
// and fans them out; this keeps the page's view of them (a Solid store) and sends what the user does.
import { ErrorCode, type ChatMessage, type ReactionKind } from '@origo/proto/signal';
import { createStore, produce } from 'solid-js/store';
import { initialChatState, markDeleted, mergeHistory, upsertMessage, type ChatState } from './chatState.js';
import { SignalError, type ResponseMessage, type SignalClient } from './SignalClient.js';

const REACTION_SHOWN_MS = 6_000;
const TYPING_IDLE_MS = 4_000;
const HISTORY_PAGE = 50;

export function chatErrorText(e: unknown): string {
  if (e instanceof SignalError) {
    if (e.code === ErrorCode.ERROR_CODE_RATE_LIMITED) return e.message || 'You are sending too fast.';
    if (e.code === ErrorCode.ERROR_CODE_MESSAGE_TOO_LARGE) return e.message || 'The message is too long.';
    if (e.code === ErrorCode.ERROR_CODE_UNAVAILABLE) return 'Chat is not available right now.';
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export class ChatClient {
  readonly state: ChatState;
  private readonly setState: ReturnType<typeof createStore<ChatState>>[1];
  private panelOpen = false;
  /** The newest seq the server knows this participant read (its read marker). */
  private lastMarked = 0;
  private reactionSeq = 0;
  private typingSent = false;
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly peerTyping = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly signal: SignalClient,
    private readonly selfIdentity: () => string,
  ) {
    const [state, setState] = createStore<ChatState>(initialChatState());
    this.state = state;
    this.setState = setState;
    signal.on('message', (m, requestId) => this.onMessage(m, requestId));
    // A fresh session (join, or a rejoin after the server lost the old one) starts from the history.
    signal.on('joined', () => void this.loadHistory());
    signal.on('rejoined', () => void this.loadHistory());
  }

  private change(fn: (s: ChatState) => void): void {
    this.setState(produce(fn));
  }

  setPanelOpen(open: boolean): void {
    this.panelOpen = open;
    if (open) {
      this.setState('unread', 0);
      this.markRead();
    }
  }

  /**
   * The open panel shows the newest message: the server stores it as read, so a reload or rejoin starts
   * from the right unread count. A failure is retried with the next message.
   */
  private markRead(): void {
    const newest = this.state.messages.at(-1)?.seq ?? 0;
    if (!this.panelOpen || newest <= this.lastMarked) return;
    const before = this.lastMarked;
    this.lastMarked = newest;
    this.signal.request({ $case: 'markChatRead', value: { seq: newest } }).catch(() => {
      if (this.lastMarked === newest) this.lastMarked = before;
    });
  }

  async loadHistory(older = false): Promise<void> {
    const first = this.state.messages[0];
    const beforeSeq = older && first ? first.seq : 0;
    await this.run(async () => {
      const r = await this.signal.request({
        $case: 'chatHistory',
        value: { beforeSeq, limit: HISTORY_PAGE },
      });
      if (r.$case !== 'chatHistory') return;
      this.change((s) => mergeHistory(s, r.value.messages, r.value.hasMore, older));
      if (older) return;
      // The newest page carries where this participant stopped reading, also in an earlier session.
      this.lastMarked = Math.max(this.lastMarked, r.value.lastReadSeq);
      if (this.panelOpen) this.markRead();
      else this.setState('unread', r.value.unreadCount);
    });
  }

  /** Sends to everyone, or privately to the participant `toSid`. */
  send(text: string, toSid = ''): Promise<boolean> {
    this.stopTyping();
    return this.run(async () => {
      const r = await this.signal.request({ $case: 'sendChat', value: { text, toParticipantSid: toSid } });
      if (r.$case === 'chatMessage') this.change((s) => void upsertMessage(s, r.value));
      this.markRead();
    });
  }

  edit(messageId: string, text: string): Promise<boolean> {
    this.stopTyping();
    return this.run(async () => {
      const r = await this.signal.request({ $case: 'editChat', value: { messageId, text } });
      if (r.$case === 'chatEdited') this.change((s) => void upsertMessage(s, r.value));
    });
  }

  remove(messageId: string): Promise<boolean> {
    return this.run(async () => {
      await this.signal.request({ $case: 'deleteChat', value: { messageId } });
      this.change((s) => markDeleted(s, messageId));
    });
  }

  react(kind: ReactionKind): Promise<boolean> {
    return this.run(() => this.signal.request({ $case: 'sendReaction', value: { kind } }));
  }

  raiseHand(): Promise<boolean> {
    return this.run(() => this.signal.request({ $case: 'raiseHand', value: {} }));
  }

  /** Lowers one's own hand (empty sid) or, as host, someone else's. */
  lowerHand(participantSid = ''): Promise<boolean> {
    return this.run(() => this.signal.request({ $case: 'lowerHand', value: { participantSid } }));
  }

  /** Call on every keystroke in the composer: tells the others once, and again when it stops. */
  typing(): void {
    if (!this.typingSent) {
      this.typingSent = true;
      this.signal.send({ $case: 'typing', value: { typing: true } });
    }
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  dismissError(): void {
    this.setState('error', null);
  }

  close(): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    for (const t of this.peerTyping.values()) clearTimeout(t);
    this.peerTyping.clear();
  }

  private stopTyping(): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = null;
    if (!this.typingSent) return;
    this.typingSent = false;
    this.signal.send({ $case: 'typing', value: { typing: false } });
  }

  /** Runs a request; a failure is shown (and the promise resolves false) rather than thrown. */
  private async run(work: () => Promise<unknown>): Promise<boolean> {
    try {
      await work();
      this.setState('error', null);
      return true;
    } catch (e) {
      this.setState('error', chatErrorText(e));
      return false;
    }
  }

  private received(m: ChatMessage): void {
    let fresh = false;
    this.change((s) => {
      fresh = upsertMessage(s, m);
      if (fresh && !this.panelOpen && m.senderIdentity !== this.selfIdentity()) s.unread += 1;
    });
    this.markRead();
  }

  private onMessage(m: ResponseMessage, requestId: string): void {
    // Replies to this client's own requests are applied where they were sent.
    if (requestId !== '') return;
    switch (m.$case) {
      case 'chatMessage':
        this.received(m.value);
        return;
      case 'chatEdited':
        this.change((s) => void upsertMessage(s, m.value));
        return;
      case 'chatDeleted':
        this.change((s) => markDeleted(s, m.value.messageId));
        return;
      case 'handsChanged':
        this.setState('hands', m.value.hands);
        return;
      case 'reaction': {
        const id = ++this.reactionSeq;
        this.change((s) => {
          s.reactions.push({ id, ...m.value });
          if (s.reactions.length > 8) s.reactions.shift();
        });
        setTimeout(
          () => this.change((s) => void (s.reactions = s.reactions.filter((r) => r.id !== id))),
          REACTION_SHOWN_MS,
        );
        return;
      }
      case 'typing': {
        const { participantSid: sid, name, typing } = m.value;
        const old = this.peerTyping.get(sid);
        if (old) clearTimeout(old);
        this.peerTyping.delete(sid);
        if (typing) {
          this.setState('typing', sid, name);
          // A typist who disconnects never sends "stopped": forget them after a while.
          this.peerTyping.set(
            sid,
            setTimeout(() => this.setState('typing', sid, undefined!), TYPING_IDLE_MS * 2),
          );
        } else this.setState('typing', sid, undefined!);
        return;
      }
      default:
        return;
    }
  }
}
