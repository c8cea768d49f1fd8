import type { ChatMessage, ParticipantInfo } from '@origo/proto/signal';
import { createEffect, createSignal, For, on, onMount, Show, type JSX } from 'solid-js';
import type { ChatClient } from '../rtc/ChatClient.js';
import { lengthNotice } from '../meeting/chatLimit.js';
import { ChatText } from './ChatText.js';

export interface ChatPanelProps {
  chat: ChatClient;
  selfIdentity: string;
  isHost: boolean;
  others: readonly ParticipantInfo[];
  onClose: () => void;
}

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });

/** The meeting chat, beside the stage: messages in server order, a composer, private messages. */
export function ChatPanel(props: ChatPanelProps): JSX.Element {
  const s = props.chat.state;
  const [text, setText] = createSignal('');
  const [to, setTo] = createSignal('');
  const [editing, setEditing] = createSignal<ChatMessage | null>(null);
  let list: HTMLOListElement | undefined;
  let input: HTMLTextAreaElement | undefined;

  const scrollToEnd = () => queueMicrotask(() => list?.scrollTo({ top: list.scrollHeight }));
  onMount(scrollToEnd);
  // New messages scroll into view unless the reader has scrolled up to older ones.
  createEffect(
    on(
      () => s.messages.length,
      () => {
        if (list && list.scrollHeight - list.scrollTop - list.clientHeight < 120) scrollToEnd();
      },
      { defer: true },
    ),
  );

  // Said under the composer as the message nears or passes the chat service's limit; an over-long message
  // cannot be sent, and the notice says by how much while Send is disabled for it.
  const notice = () => lengthNotice(text());
  const tooLong = () => notice()?.kind === 'over';
  // What a screen reader hears: a line that changes only when the message comes near the limit or passes
  // it, not the count at every keystroke (the count stays readable as the composer's description). Worded
  // apart from the visible notice, so the page never shows the same words twice.
  const spoken = () => {
    const kind = notice()?.kind;
    if (kind === 'near') return 'The message is near the length limit.';
    if (kind === 'over')
      return 'The message is over the length limit and cannot be sent until it is shorter.';
    return '';
  };
  const typists = () => Object.values(s.typing);
  const mine = (m: ChatMessage) => m.senderIdentity === props.selfIdentity;
  const nameOf = (m: ChatMessage) => (mine(m) ? 'You' : m.senderName || m.senderIdentity);

  // Set while a message is on its way, so a double click on Send (or Enter pressed twice) sends it once.
  let sending = false;
  const submit = async (e?: Event) => {
    e?.preventDefault();
    const value = text();
    if (sending || value.trim() === '' || tooLong()) return;
    const target = editing();
    sending = true;
    let ok: boolean;
    try {
      ok = target ? await props.chat.edit(target.id, value) : await props.chat.send(value, to());
    } finally {
      sending = false;
    }
    if (ok) {
      setText('');
      setEditing(null);
      scrollToEnd();
    }
  };
  const startEdit = (m: ChatMessage) => {
    setEditing(m);
    setText(m.text);
    input?.focus();
  };
  const cancelEdit = () => {
    setEditing(null);
    setText('');
  };

  return (
    <aside tabindex="-1" class="side chat" aria-label="Chat">
      <div class="row between">
        <h2>Chat</h2>
        <button type="button" class="small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <Show when={s.hasMore}>
        <button type="button" class="link small" onClick={() => void props.chat.loadHistory(true)}>
          Load earlier messages
        </button>
      </Show>
      <ol class="chat-messages" role="log" aria-label="Chat messages" ref={list}>
        <For
          each={s.messages}
          fallback={
            <li class="muted small">No messages yet. What you send here, everyone in the meeting reads.</li>
          }
        >
          {(m) => (
            <li classList={{ private: m.toIdentity !== '', own: mine(m) }}>
              <div class="chat-meta">
                <span class="chat-sender">{nameOf(m)}</span>
                <Show when={m.toIdentity !== ''}>
                  <span class="chat-private">
                    {' '}
                    to {m.toIdentity === props.selfIdentity ? 'you' : m.toName || m.toIdentity} (private)
                  </span>
                </Show>
                <span class="muted small"> {time(m.sentAt)}</span>
                <Show when={m.editedAt > 0 && !m.deleted}>
                  <span class="muted small"> (edited)</span>
                </Show>
              </div>
              <Show when={!m.deleted} fallback={<p class="chat-text muted">Message deleted</p>}>
                <ChatText text={m.text} />
                <span class="chat-actions">
                  <Show when={mine(m)}>
                    <button type="button" class="link small" onClick={() => startEdit(m)}>
                      Edit<span class="sr-only"> message {m.seq}</span>
                    </button>
                  </Show>
                  <Show when={mine(m) || props.isHost}>
                    <button type="button" class="link small" onClick={() => void props.chat.remove(m.id)}>
                      Delete<span class="sr-only"> message {m.seq}</span>
                    </button>
                  </Show>
                </span>
              </Show>
            </li>
          )}
        </For>
      </ol>
      <p class="muted small chat-typing" aria-live="polite">
        {typists().length === 0
          ? ''
          : typists().length === 1
            ? `${typists()[0]} is typing`
            : `${typists().length} people are typing`}
      </p>
      <Show when={s.error}>
        <div class="banner error" role="alert">
          {s.error}{' '}
          <button type="button" class="link" onClick={() => props.chat.dismissError()}>
            Dismiss
          </button>
        </div>
      </Show>
      <form class="chat-compose" onSubmit={(e) => void submit(e)}>
        <Show
          when={editing() === null}
          fallback={
            <p class="small">
              Editing your message{' '}
              <button type="button" class="link small" onClick={cancelEdit}>
                Cancel
              </button>
            </p>
          }
        >
          <div class="row gap small">
            <label for="chat-to">To</label>
            <select id="chat-to" value={to()} onChange={(e) => setTo(e.currentTarget.value)}>
              <option value="">Everyone</option>
              <For each={props.others}>{(p) => <option value={p.sid}>{p.name || p.identity}</option>}</For>
            </select>
          </div>
        </Show>
        <label class="sr-only" for="chat-input">
          Message
        </label>
        <textarea
          id="chat-input"
          ref={input}
          rows={2}
          placeholder="Write a message"
          value={text()}
          aria-invalid={tooLong()}
          aria-describedby="chat-length"
          onInput={(e) => {
            setText(e.currentTarget.value);
            props.chat.typing();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) void submit(e);
          }}
        />
        <div class="chat-send">
          <p
            id="chat-length"
            class="small chat-length"
            classList={{ muted: !tooLong(), 'chat-length-over': tooLong() }}
          >
            {notice()?.text ?? ''}
          </p>
          <p class="sr-only" aria-live="polite">
            {spoken()}
          </p>
          <button type="submit" class="primary small" disabled={text().trim() === '' || tooLong()}>
            {editing() ? 'Save' : 'Send'}
          </button>
        </div>
      </form>
    </aside>
  );
}
