import { For, Show, type JSX, type Resource } from 'solid-js';
import { errorText } from '../api/http.js';

/**
 * Meetings read from the server as cards: a loading text, the error, an empty text, or the list. Read
 * again (the dashboard refreshes while it is open), the list stays on screen until the new one replaces
 * it: the loading text is only for the first read, so a refresh neither blinks nor takes the focus away.
 */
export function MeetingList<T>(props: {
  items: Resource<T[] | undefined>;
  loading: string;
  empty: string;
  children: (item: T) => JSX.Element;
}): JSX.Element {
  const first = () => props.items.state === 'unresolved' || props.items.state === 'pending';
  return (
    <Show when={!first()} fallback={<p class="muted">{props.loading}</p>}>
      <Show when={!props.items.error} fallback={<p class="alert">{errorText(props.items.error)}</p>}>
        <Show when={(props.items.latest ?? []).length > 0} fallback={<p class="muted">{props.empty}</p>}>
          <ul class="meetings">
            <For each={props.items.latest}>{(item) => props.children(item)}</For>
          </ul>
        </Show>
      </Show>
    </Show>
  );
}

/**
 * The new list with each meeting that did not change kept as the object shown before, so a refresh only
 * redraws the cards whose meeting changed (a card's link box keeps its selection and focus).
 */
export function keepUnchanged<T extends { id: string }>(previous: readonly T[] | undefined, next: T[]): T[] {
  if (previous === undefined) return next;
  const before = new Map(previous.map((m) => [m.id, { item: m, json: JSON.stringify(m) }]));
  return next.map((m) => {
    const old = before.get(m.id);
    return old !== undefined && old.json === JSON.stringify(m) ? old.item : m;
  });
}
