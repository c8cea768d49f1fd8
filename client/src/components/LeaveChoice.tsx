import { onCleanup, onMount, type JSX } from 'solid-js';
import { keepTabInside } from '../lib/focus.js';

/**
 * The host leaves while others are still in the meeting: leave them to go on without you, or end the
 * meeting for everyone. Opens above the control bar and holds the focus (Tab goes round its three answers);
 * Escape or Cancel closes it and nothing happens (the page then puts the focus back on Leave).
 */
export function LeaveChoice(props: {
  onLeave: () => void;
  onEnd: () => void;
  onCancel: () => void;
}): JSX.Element {
  let first: HTMLButtonElement | undefined;
  let box: HTMLDivElement | undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      // Taken here, so the meeting page does not also close a side panel with the same key.
      e.preventDefault();
      props.onCancel();
    } else if (e.key === 'Tab' && box) keepTabInside(box, e);
  };
  onMount(() => {
    first?.focus();
    document.addEventListener('keydown', onKey);
  });
  onCleanup(() => document.removeEventListener('keydown', onKey));
  return (
    <div
      ref={box}
      class="leave-choice"
      role="dialog"
      aria-modal="true"
      aria-labelledby="leave-choice-title"
      aria-describedby="leave-choice-text"
    >
      <h2 id="leave-choice-title">Leave the meeting?</h2>
      <p id="leave-choice-text">The others can go on without you, or you can end the meeting for everyone.</p>
      <div class="actions">
        <button type="button" ref={first} onClick={() => props.onLeave()}>
          Leave meeting
        </button>
        <button type="button" class="danger" onClick={() => props.onEnd()}>
          End meeting for all
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </div>
  );
}
