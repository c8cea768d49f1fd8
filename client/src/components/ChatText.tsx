import type { JSX } from 'solid-js';
import { LinkedText } from './LinkedText.js';

/** A chat message as text, its web addresses as links. */
export function ChatText(props: { text: string }): JSX.Element {
  return (
    <p class="chat-text">
      <LinkedText text={props.text} />
    </p>
  );
}
