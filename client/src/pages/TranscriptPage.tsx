import { A, useParams } from '@solidjs/router';
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { chatApi, type StoredChatMessage } from '../api/chat.js';
import { errorText } from '../api/http.js';
import { meetingsApi } from '../api/meetings.js';
import { ChatText } from '../components/ChatText.js';
import { useSession } from '../session.js';
import { formatWhen } from '../lib/time.js';

const when = (iso: string) => formatWhen(iso);

/**
 * The chat of a meeting, read afterwards: oldest first, a page at a time from the newest, older pages on
 * request. Texts show as typed, with web addresses as links (ChatText), never as HTML. Readable by whoever
 * may read the meeting (the chat role asks control).
 */
export function TranscriptPage(): JSX.Element {
  const params = useParams<{ id: string }>();
  const { me } = useSession();
  const [meeting] = createResource(
    () => params.id,
    (id) => meetingsApi.get(id),
  );
  const [messages, setMessages] = createSignal<StoredChatMessage[]>([]);
  const [before, setBefore] = createSignal<number | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);

  const load = async (beforeSeq?: number) => {
    setLoading(true);
    try {
      const page = await chatApi.history(params.id, beforeSeq);
      setMessages([...page.messages, ...(beforeSeq === undefined ? [] : messages())]);
      setBefore(page.next_before_seq);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };
  void load();

  const self = () => me()?.user.id;
  const sender = (m: StoredChatMessage) => (m.sender_identity === self() ? 'You' : m.sender_name);
  const recipient = (m: StoredChatMessage) =>
    m.to_identity === self() ? 'you' : m.to_name || m.to_identity || '';

  return (
    <section class="transcript">
      <p>
        <A href="/dashboard">Back to meetings</A>
      </p>
      <h1>Chat of {meeting()?.title ?? 'the meeting'}</h1>
      <Show when={error()}>
        <p class="alert" role="alert">
          {error()}
        </p>
      </Show>
      <Show when={before() !== null}>
        <button type="button" class="link" disabled={loading()} onClick={() => void load(before() ?? 0)}>
          Load earlier messages
        </button>
      </Show>
      <Show
        when={messages().length > 0 || loading() || error() !== null}
        fallback={<p class="muted">No messages were written in this meeting.</p>}
      >
        <ol class="chat-messages" aria-label="Chat transcript">
          <For each={messages()}>
            {(m) => (
              <li classList={{ private: m.to_identity !== null }}>
                <div class="chat-meta">
                  <span class="chat-sender">{sender(m)}</span>
                  <Show when={m.to_identity !== null}>
                    <span class="chat-private"> to {recipient(m)} (private)</span>
                  </Show>
                  <span class="muted small"> {when(m.sent_at)}</span>
                  <Show when={m.edited_at !== null && !m.deleted}>
                    <span class="muted small"> (edited)</span>
                  </Show>
                </div>
                <Show when={!m.deleted} fallback={<p class="chat-text muted">Message deleted</p>}>
                  <ChatText text={m.text} />
                </Show>
              </li>
            )}
          </For>
        </ol>
      </Show>
    </section>
  );
}
