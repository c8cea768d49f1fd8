import { For, Show, type JSX, type Resource } from 'solid-js';
import { errorText } from '../api/http.js';

/** Meetings read from the server as cards: a loading text, the error, an empty text, or the list. */
export function MeetingList<T>(props: {
  items: Resource<T[] | undefined>;
  loading: string;
  empty: string;
  children: (item: T) => JSX.Element;
}): JSX.Element {
  return (
    <Show when={!props.items.loading} fallback={<p class="muted">{props.loading}</p>}>
      <Show when={!props.items.error} fallback={<p class="alert">{errorText(props.items.error)}</p>}>
        <Show when={(props.items() ?? []).length > 0} fallback={<p class="muted">{props.empty}</p>}>
          <ul class="meetings">
            <For each={props.items()}>{(item) => props.children(item)}</For>
          </ul>
        </Show>
      </Show>
    </Show>
  );
}
