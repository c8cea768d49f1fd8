import { createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { errorText } from '../api/http.js';
import { presenceApi, type MemberPresence } from '../api/presence.js';
import { presenceLine } from '../lib/presence.js';

const REFRESH_MS = 20_000;

/**
 * Who of the organization is around. While it is shown, it also tells control that this user is online
 * (away while the page is hidden) with a heartbeat, and reads the list again on the same beat.
 */
export function PresencePanel(props: { orgId: string | undefined; selfId: string | undefined }): JSX.Element {
  const [people, setPeople] = createSignal<MemberPresence[]>([]);
  const [error, setError] = createSignal<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const beat = async () => {
    if (timer !== undefined) clearTimeout(timer);
    let next = REFRESH_MS;
    try {
      next = (await presenceApi.heartbeat(document.hidden ? 'away' : 'online')).next_heartbeat_ms;
      setPeople((await presenceApi.list(props.orgId)).items);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
    timer = setTimeout(() => void beat(), Math.min(next, REFRESH_MS));
  };
  const onVisibility = () => void beat();

  onMount(() => {
    void beat();
    document.addEventListener('visibilitychange', onVisibility);
  });
  onCleanup(() => {
    if (timer !== undefined) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  });

  return (
    <section class="presence card" aria-label="Who is around">
      <h2>Who is around</h2>
      <Show when={error()}>
        <p class="muted small">Presence is not available right now: {error()}</p>
      </Show>
      <Show when={people().length > 0} fallback={<p class="muted">No one is online right now.</p>}>
        <ul class="presence-list">
          <For each={people()}>{(p) => <li data-state={p.state}>{presenceLine(p, props.selfId)}</li>}</For>
        </ul>
      </Show>
    </section>
  );
}
