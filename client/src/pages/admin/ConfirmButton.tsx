// A button for an action that is hard to undo (disable an account, sign someone out, withdraw an
// invitation): the first click only asks, by putting the real action and Cancel in its place.
import { createSignal, Show, type JSX } from 'solid-js';

export function ConfirmButton(props: {
  /** What the button says before it is pressed ("Disable"). */
  label: string;
  /** Its accessible name, which says whom it is for ("Disable Bob Builder"). */
  name: string;
  /** The question the confirming pair answers ("Disable Bob Builder?"), read by screen readers. */
  question: string;
  /** What the confirming button says ("Disable Bob Builder"). */
  confirmLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}): JSX.Element {
  const [asking, setAsking] = createSignal(false);
  return (
    <Show
      when={asking()}
      fallback={
        <button
          type="button"
          class="small"
          disabled={props.disabled}
          aria-label={props.name}
          onClick={() => setAsking(true)}
        >
          {props.label}
        </button>
      }
    >
      <div class="row wrap" role="group" aria-label={props.question}>
        <button
          type="button"
          class="small danger"
          // The question replaced the button that had the focus; the answer takes it.
          ref={(el) => queueMicrotask(() => el.focus())}
          onClick={() => {
            setAsking(false);
            props.onConfirm();
          }}
        >
          {props.confirmLabel}
        </button>
        <button type="button" class="small" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </Show>
  );
}
