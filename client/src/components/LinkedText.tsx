import { For, type JSX } from 'solid-js';
import { linkParts } from '../meeting/chatLinks.js';

/**
 * Text as typed (Solid writes text nodes, never HTML), with web addresses as links that open in a new tab
 * without access to this page. The caller chooses the element around it.
 */
export function LinkedText(props: { text: string }): JSX.Element {
  return (
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
  );
}
