// A button for an action that is hard to undo (disable an account, sign someone out, withdraw an
// invitation): the first click only asks, by putting the real action and Cancel in its place. The focus
// goes to Cancel, so a second Enter does no harm; Escape cancels; either answer gives the focus back to
// the button that asked.
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
  /** Why the button is disabled, shown as its tooltip and read with it. */
  disabledReason?: string;
  onConfirm: () => void;
}): JSX.Element {
  const [asking, setAsking] = createSignal(false);
  let askButton: HTMLButtonElement | undefined;
  const answer = (confirmed: boolean) => {
    setAsking(false);
    // The asking button is back in the page once the signal settled.
    queueMicrotask(() => askButton?.focus());
    if (confirmed) props.onConfirm();
  };
  return (
    <Show
      when={asking()}
      fallback={
        <button
          type="button"
          class="small"
          ref={(el) => (askButton = el)}
          disabled={props.disabled}
          title={props.disabled ? props.disabledReason : undefined}
          aria-label={
            props.disabled && props.disabledReason ? `${props.name} (${props.disabledReason})` : props.name
          }
          onClick={() => setAsking(true)}
        >
          {props.label}
        </button>
      }
    >
      <div
        class="row wrap"
        role="group"
        aria-label={props.question}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            answer(false);
          }
        }}
      >
        <button type="button" class="small danger" onClick={() => answer(true)}>
          {props.confirmLabel}
        </button>
        <button
          type="button"
          class="small"
          // The question replaced the button that had the focus; the harmless answer takes it.
          ref={(el) => queueMicrotask(() => el.focus())}
          onClick={() => answer(false)}
        >
          Cancel
        </button>
      </div>
    </Show>
  );
}
