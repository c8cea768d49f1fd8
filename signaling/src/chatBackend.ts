// Signaling's link to the chat role over gRPC (ChatService): every chat action of a joined participant is
// stored there first (id, seq, limits, permissions, audit), then fanned out to the room through the bus.
import { AppError, createGrpcClient, unary } from '@origo/kit';
import {
  ChatServiceClient,
  type ChatMessage as StoredMessage,
  type DeleteMessageRequest,
  type EditMessageRequest,
  type Hand,
  type ListMessagesRequest,
  type ListMessagesResponse,
  type LowerHandRequest,
  type MarkReadRequest,
  type PostMessageRequest,
  type RaiseHandRequest,
} from '@origo/proto/chat-rpc';

export type { StoredMessage, Hand };

export interface ChatBackend {
  post(request: PostMessageRequest): Promise<StoredMessage>;
  edit(request: EditMessageRequest): Promise<StoredMessage>;
  delete(request: DeleteMessageRequest): Promise<StoredMessage>;
  list(request: ListMessagesRequest): Promise<ListMessagesResponse>;
  raiseHand(request: RaiseHandRequest): Promise<Hand[]>;
  lowerHand(request: LowerHandRequest): Promise<Hand[]>;
  hands(meetingId: string): Promise<Hand[]>;
  /** Moves the participant's read marker forward; returns the stored marker. */
  markRead(request: MarkReadRequest): Promise<number>;
  close(): void;
}

const unavailable = (): Promise<never> =>
  Promise.reject(AppError.unavailable('chat is not available on this server'));

/** No chat role configured: every chat request is answered UNAVAILABLE; media is unaffected. */
export const noChat: ChatBackend = {
  post: unavailable,
  edit: unavailable,
  delete: unavailable,
  list: unavailable,
  raiseHand: unavailable,
  lowerHand: unavailable,
  hands: unavailable,
  markRead: unavailable,
  close: () => undefined,
};

function required<T>(value: T | undefined): T {
  if (value === undefined) throw AppError.internal('chat answered without a message');
  return value;
}

/** The chat role at `address()` (re-read per call: in one process it appears in the AddressBook later). */
export function grpcChatBackend(address: () => string | undefined, deadlineMs = 5000): ChatBackend {
  let current: { address: string; client: ChatServiceClient } | undefined;
  const client = (): ChatServiceClient => {
    const a = address();
    if (a === undefined) throw AppError.unavailable('chat is not available on this server');
    if (current?.address !== a) {
      current?.client.close();
      current = {
        address: a,
        client: createGrpcClient(ChatServiceClient, a, { defaultDeadlineMs: deadlineMs }),
      };
    }
    return current.client;
  };
  return {
    async post(request) {
      const c = client();
      return required((await unary(c.postMessage.bind(c), request)).message);
    },
    async edit(request) {
      const c = client();
      return required((await unary(c.editMessage.bind(c), request)).message);
    },
    async delete(request) {
      const c = client();
      return required((await unary(c.deleteMessage.bind(c), request)).message);
    },
    list(request) {
      const c = client();
      return unary(c.listMessages.bind(c), request);
    },
    async raiseHand(request) {
      const c = client();
      return (await unary(c.raiseHand.bind(c), request)).hands;
    },
    async lowerHand(request) {
      const c = client();
      return (await unary(c.lowerHand.bind(c), request)).hands;
    },
    async hands(meetingId) {
      const c = client();
      return (await unary(c.listHands.bind(c), { meetingId })).hands;
    },
    async markRead(request) {
      const c = client();
      return (await unary(c.markRead.bind(c), request)).lastReadSeq;
    },
    close() {
      current?.client.close();
      current = undefined;
    },
  };
}
