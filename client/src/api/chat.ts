// REST routes of platform/chat (src/http/routes.ts): a meeting's chat history by cursor, readable
// after the meeting by signed-in users whom control lets read the meeting.
import { qs } from './auth.js';
import { api } from './http.js';

export interface StoredChatMessage {
  id: string;
  seq: number;
  sender_identity: string;
  sender_name: string;
  /** Text as typed; render it as text, never as HTML. Empty when deleted. */
  text: string;
  to_identity: string | null;
  to_name: string | null;
  sent_at: string;
  edited_at: string | null;
  deleted: boolean;
}

export interface ChatPage {
  /** Oldest first. */
  messages: StoredChatMessage[];
  has_more: boolean;
  /** Ask with this as before_seq for the page before; null on the first page of the meeting. */
  next_before_seq: number | null;
}

export const chatApi = {
  /** One page, newest first unless `beforeSeq` asks for the page before it. */
  history: (meetingId: string, beforeSeq?: number) =>
    api<ChatPage>(
      'GET',
      `/api/chat/meetings/${encodeURIComponent(meetingId)}/messages${qs({ before_seq: beforeSeq, limit: 50 })}`,
    ),
};
