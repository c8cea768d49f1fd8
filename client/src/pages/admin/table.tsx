// The pieces every admin table repeats: its column headers, the one row shown while it is loading or
// empty, the "More" pager under it and the alert when a refresh failed.
import { For, Show, type JSX } from 'solid-js';

/** Column headers; `hidden` names a last column (actions, links) for screen readers only. */
export function TableHead(props: { columns: readonly string[]; hidden?: string }): JSX.Element {
  return (
    <thead>
      <tr>
        <For each={props.columns}>{(name) => <th scope="col">{name}</th>}</For>
        <Show when={props.hidden}>
          {(name) => (
            <th scope="col">
              <span class="sr-only">{name()}</span>
            </th>
          )}
        </Show>
      </tr>
    </thead>
  );
}

/** The single row of a table without rows: "Loading", "No events." and the like, across every column. */
export function EmptyRow(props: { columns: number; children: JSX.Element }): JSX.Element {
  return (
    <tr>
      <td colspan={props.columns} class="muted">
        {props.children}
      </td>
    </tr>
  );
}

/** Loads the page after `cursor` while there is one; disabled while `busy`. */
export function MoreButton(props: {
  cursor: string | null;
  busy?: boolean;
  onMore: (cursor: string) => void;
}): JSX.Element {
  return (
    <Show when={props.cursor}>
      {(next) => (
        <button type="button" class="small" disabled={props.busy} onClick={() => props.onMore(next())}>
          More
        </button>
      )}
    </Show>
  );
}

/** Why the last load failed, until one succeeds. */
export function LoadError(props: { message: string | null }): JSX.Element {
  return (
    <Show when={props.message}>
      <p class="alert">{props.message}</p>
    </Show>
  );
}
