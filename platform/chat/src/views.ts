// Stored rows as the gRPC API and REST show them.
import type { ChatMessage, Hand } from '@origo/proto/chat-rpc';
import type { ChatMessageRow, RaisedHandRow } from './db/schema.js';

export function messageProto(row: ChatMessageRow): ChatMessage {
  return {
    id: row.id,
    meetingId: row.meetingId,
    seq: row.seq,
    senderIdentity: row.senderIdentity,
    senderName: row.senderName,
    senderSid: row.senderSid,
    text: row.deletedAt === null ? row.text : '',
    toIdentity: row.toIdentity ?? '',
    toName: row.toName ?? '',
    sentAtMs: row.sentAt.getTime(),
    editedAtMs: row.editedAt?.getTime() ?? 0,
    deleted: row.deletedAt !== null,
    deletedBy: row.deletedBy ?? '',
  };
}

export function handProto(row: RaisedHandRow): Hand {
  return {
    identity: row.identity,
    name: row.name,
    participantSid: row.participantSid,
    raisedAtMs: row.raisedAt.getTime(),
  };
}

/** The REST (JSON, snake_case) view of a message. */
export function messageJson(row: ChatMessageRow) {
  return {
    id: row.id,
    meeting_id: row.meetingId,
    seq: row.seq,
    sender_identity: row.senderIdentity,
    sender_name: row.senderName,
    text: row.deletedAt === null ? row.text : '',
    to_identity: row.toIdentity,
    to_name: row.toName,
    sent_at: row.sentAt.toISOString(),
    edited_at: row.editedAt?.toISOString() ?? null,
    deleted: row.deletedAt !== null,
    deleted_by: row.deletedBy,
  };
}
