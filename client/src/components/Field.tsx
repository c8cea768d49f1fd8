import { Show, splitProps, type JSX } from 'solid-js';

let nextId = 0;

/** A labelled input with an optional hint and error, wired for screen readers. */
export function Field(
  props: {
    label: string;
    hint?: string;
    error?: string | undefined;
  } & JSX.InputHTMLAttributes<HTMLInputElement>,
): JSX.Element {
  const [own, input] = splitProps(props, ['label', 'hint', 'error']);
  const id = `f${++nextId}`;
  return (
    <div class="field">
      <label for={id}>{own.label}</label>
      <input
        id={id}
        aria-invalid={own.error ? 'true' : undefined}
        aria-describedby={own.error ? `${id}-err` : own.hint ? `${id}-hint` : undefined}
        {...input}
      />
      <Show when={own.hint && !own.error}>
        <small id={`${id}-hint`} class="muted">
          {own.hint}
        </small>
      </Show>
      <Show when={own.error}>
        <small id={`${id}-err`} class="error">
          {own.error}
        </small>
      </Show>
    </div>
  );
}

export function FormError(props: { message: string | null }): JSX.Element {
  return (
    <Show when={props.message}>
      <p class="alert" role="alert">
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
