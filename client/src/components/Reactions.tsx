import type { RaisedHand } from '@origo/proto/signal';
import { For, Show, onMount, type JSX } from 'solid-js';
import type { ChatClient } from '../rtc/ChatClient.js';
import { REACTIONS, reactionLabel } from '../rtc/chatState.js';

/**
 * The reactions the user can send, as words; the bar closes once one is sent (`onSent`). It takes the
 * focus when it opens, so the reactions are the next keys away from React, not the whole page.
 */
export function ReactionsBar(props: { chat: ChatClient; onSent: () => void }): JSX.Element {
  let first: HTMLButtonElement | undefined;
  onMount(() => first?.focus());
  return (
    <nav class="reactions-bar" aria-label="Reactions">
      <For each={REACTIONS}>
        {(r, i) => (
          <button
            type="button"
            ref={(el) => {
              if (i() === 0) first = el;
            }}
            class="small"
            onClick={() => {
              void props.chat.react(r.kind);
              props.onSent();
            }}
          >
            {r.label}
          </button>
        )}
      </For>
    </nav>
  );
}

/** Reactions of the last seconds, in words. */
export function ReactionsShown(props: { chat: ChatClient; selfSid: string }): JSX.Element {
  return (
    <Show when={props.chat.state.reactions.length > 0}>
      <ul class="reactions-shown" role="status" aria-label="Recent reactions">
        <For each={props.chat.state.reactions}>
          {(r) => (
            <li class="badge">
              {r.participantSid === props.selfSid ? 'You' : r.name}: {reactionLabel(r.kind)}
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}

/** Raised hands in the order raised, for everyone; a host can lower each. */
export function RaisedHands(props: {
  hands: readonly RaisedHand[];
  selfIdentity: string;
  isHost: boolean;
  onLower: (hand: RaisedHand) => void;
}): JSX.Element {
  return (
    <Show when={props.hands.length > 0}>
      <section class="banner hands" aria-label="Raised hands">
        <span>Raised hands:</span>
        <ol>
          <For each={props.hands}>
            {(h) => (
              <li>
                {h.identity === props.selfIdentity ? 'You' : h.name || h.identity}
                <Show when={props.isHost && h.identity !== props.selfIdentity}>
                  {' '}
                  <button type="button" class="small" onClick={() => props.onLower(h)}>
                    Lower hand<span class="sr-only"> of {h.name || h.identity}</span>
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ol>
      </section>
    </Show>
  );
}
