import {
  createEffect,
  createSignal,
  on,
  onCleanup,
  Show,
  splitProps,
  type Accessor,
  type JSX,
} from 'solid-js';

let nextId = 0;

/**
 * Whether the person has edited `watched` (a field, or a whole form) since `message` last changed or the form
 * was last sent: a message about what was there before is stale then. Sending the form again clears it, so a
 * refusal that repeats the same message shows it again.
 */
function editedSince(
  message: () => unknown,
  watched: Accessor<HTMLElement | null | undefined>,
): Accessor<boolean> {
  const [edited, setEdited] = createSignal(false);
  createEffect(on(message, () => setEdited(false)));
  createEffect(() => {
    const el = watched();
    const form = el instanceof HTMLFormElement ? el : el?.closest('form');
    if (!el || !form) return;
    const changed = () => setEdited(true);
    const sent = () => setEdited(false);
    el.addEventListener('input', changed);
    form.addEventListener('submit', sent);
    onCleanup(() => {
      el.removeEventListener('input', changed);
      form.removeEventListener('submit', sent);
    });
  });
  return edited;
}

/**
 * A labelled input with an optional hint and error, wired for screen readers. The error goes away as soon as
 * the person edits the field (the hint comes back); the next refusal shows whatever is still wrong.
 */
export function Field(
  props: {
    label: string;
    hint?: string;
    error?: string | undefined;
  } & JSX.InputHTMLAttributes<HTMLInputElement>,
): JSX.Element {
  const [own, input] = splitProps(props, ['label', 'hint', 'error']);
  const id = `f${++nextId}`;
  const [field, setField] = createSignal<HTMLInputElement>();
  const edited = editedSince(() => own.error, field);
  const error = () => (edited() ? undefined : own.error);
  return (
    <div class="field">
      <label for={id}>{own.label}</label>
      <input
        ref={setField}
        id={id}
        aria-invalid={error() ? 'true' : undefined}
        aria-describedby={error() ? `${id}-err` : own.hint ? `${id}-hint` : undefined}
        {...input}
      />
      <Show when={own.hint && !error()}>
        <small id={`${id}-hint`} class="muted">
          {own.hint}
        </small>
      </Show>
      <Show when={error()}>
        <small id={`${id}-err`} class="error">
          {error()}
        </small>
      </Show>
    </div>
  );
}

/**
 * Moves the focus to the first field of `form` marked invalid (in the form's order), so that after a
 * refusal naming several fields the person starts at the first one, its error read out with it.
 */
export function focusFirstInvalid(form: HTMLFormElement | undefined): void {
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

/**
 * A form's refusal, read out when it appears. With `untilEdited` (a form whose fields carry their own errors),
 * it goes away once the person edits any field, as those errors do, and comes back with the next refusal.
 */
export function FormError(props: { message: string | null; untilEdited?: boolean }): JSX.Element {
  const [form, setForm] = createSignal<HTMLFormElement | null>(null);
  const edited = editedSince(
    () => props.message,
    () => (props.untilEdited ? form() : null),
  );
  return (
    <Show when={props.message && !edited()}>
      <p
        class="alert"
        role="alert"
        // Read once the alert is in the page (a ref runs before it is inserted); kept while it is hidden.
        ref={(el) => queueMicrotask(() => setForm((f) => el.closest('form') ?? f))}
      >
        {props.message}
      </p>
    </Show>
  );
}

/** What an action just did, announced politely; nothing while `message` is empty. */
export function FormNotice(props: {
  message: string | null;
  /** Moves the focus to the message when it appears: after an action whose button left the page. */
  takeFocus?: boolean;
}): JSX.Element {
  return (
    <Show when={props.message}>
      <p
        class="notice success"
        role="status"
        tabindex={props.takeFocus ? -1 : undefined}
        ref={(el) => {
          if (props.takeFocus) queueMicrotask(() => el.focus());
        }}
      >
        {props.message}
      </p>
    </Show>
  );
}
