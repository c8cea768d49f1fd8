import { For, type JSX } from 'solid-js';
import { linkParts } from '../meeting/chatLinks.js';

/**
 * A message as text: every character is shown as typed (Solid writes text nodes, never HTML), and web
 * addresses become links that open in a new tab without access to this page.
 */
export function ChatText(props: { text: string }): JSX.Element {
  return (
    <p class="chat-text">
      <For each={linkParts(props.text)}>
        {(part) =>
          part.href === undefined ? (
            part.text
          ) : (
            <a href={part.href} target="_blank" rel="noopener noreferrer nofollow">
              {part.text}
            </a>
          )
        }
      </For>
    </p>
  );
}
