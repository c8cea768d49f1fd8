import { type GrpcServer } from '@origo/kit';
import { ChatServiceService } from '@origo/proto/chat-rpc';
import type { ChatStore } from './chat-store.js';
import type { ReadMarkers } from './read-markers.js';
import { handProto, messageProto } from './views.js';

/**
 * Registers ChatService on a kit gRPC server. Signaling is the caller: it has verified the join token,
 * so identities and the host flag arrive as facts about a joined participant.
 */
export function addChatGrpc(
  server: GrpcServer,
  deps: { store: ChatStore; markers: ReadMarkers; onPosted?: () => void },
): void {
  const { store, markers } = deps;
  server.add(ChatServiceService, {
    async postMessage(request) {
      const row = await store.post({
        meetingId: request.meetingId,
        senderIdentity: request.senderIdentity,
        senderName: request.senderName,
        senderSid: request.senderSid,
        text: request.text,
        toIdentity: request.toIdentity,
        toName: request.toName,
      });
      deps.onPosted?.();
      return { message: messageProto(row) };
    },
    async editMessage(request) {
      const row = await store.edit({
        meetingId: request.meetingId,
        messageId: request.messageId,
        actor: request.actorIdentity,
        text: request.text,
      });
      return { message: messageProto(row) };
    },
    async deleteMessage(request) {
      const row = await store.delete({
        meetingId: request.meetingId,
        messageId: request.messageId,
        actor: request.actorIdentity,
        actorIsHost: request.actorIsHost,
      });
      return { message: messageProto(row) };
    },
    async listMessages(request) {
      const page = await store.history({
        meetingId: request.meetingId,
        viewer: request.viewerIdentity,
        beforeSeq: request.beforeSeq,
        limit: request.limit,
      });
      // The newest page is what a joining client asks for: it learns where it stopped reading with it.
      const read =
        request.beforeSeq === 0
          ? await markers.state(request.meetingId, request.viewerIdentity)
          : { lastReadSeq: 0, unreadCount: 0 };
      return { messages: page.messages.map(messageProto), hasMore: page.hasMore, ...read };
    },
    async raiseHand(request) {
      const hands = await store.raiseHand({
        meetingId: request.meetingId,
        identity: request.identity,
        name: request.name,
        participantSid: request.participantSid,
      });
      return { hands: hands.map(handProto) };
    },
    async lowerHand(request) {
      const hands = await store.lowerHand({
        meetingId: request.meetingId,
        identity: request.identity,
        actor: request.actorIdentity,
        actorIsHost: request.actorIsHost,
      });
      return { hands: hands.map(handProto) };
    },
    async listHands(request) {
      return { hands: (await store.hands(request.meetingId)).map(handProto) };
    },
    async markRead(request) {
      const lastReadSeq = await markers.mark({
        meetingId: request.meetingId,
        identity: request.identity,
        seq: request.seq,
      });
      return { lastReadSeq };
    },
  });
}
