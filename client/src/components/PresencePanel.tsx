import {
  createEffect,
  createSignal,
  For,
  Match,
  on,
  onCleanup,
  onMount,
  Show,
  Switch,
  type JSX,
} from 'solid-js';
import { errorText } from '../api/http.js';
import { presenceApi } from '../api/presence.js';
import { presenceLine } from '../lib/presence.js';
import { startPresenceFeed, type PresenceFeed, type PresenceView } from '../meeting/presenceFeed.js';

/**
 * Who of the organization is around. While it is shown, it also tells control that this user is online
 * (away while the page is hidden) with a heartbeat, and reads the list again on the same beat. Until the
 * first list arrives it says it is loading: an empty list is only shown when the server said so.
 */
export function PresencePanel(props: { orgId: string | undefined; selfId: string | undefined }): JSX.Element {
  const [view, setView] = createSignal<PresenceView>({ status: 'loading' });
  let feed: PresenceFeed | undefined;
  const onVisibility = () => feed?.refresh();

  onMount(() => {
    feed = startPresenceFeed(
      {
        heartbeat: (state) => presenceApi.heartbeat(state),
        list: (orgId) => presenceApi.list(orgId),
        hidden: () => document.hidden,
        errorText,
        onView: setView,
      },
      props.orgId,
    );
    document.addEventListener('visibilitychange', onVisibility);
  });
  // The organization may become known (or change) after the panel appeared: list that one instead.
  createEffect(
    on(
      () => props.orgId,
      (orgId) => feed?.setOrg(orgId),
      { defer: true },
    ),
  );
  onCleanup(() => {
    feed?.stop();
    document.removeEventListener('visibilitychange', onVisibility);
  });

  const failed = () => {
    const v = view();
    return v.status === 'failed' ? v : null;
  };
  const ready = () => {
    const v = view();
    return v.status === 'ready' ? v : null;
  };

  return (
    <section class="presence card" aria-label="Who is around" aria-busy={view().status === 'loading'}>
      <h2>Who is around</h2>
      <Switch>
        <Match when={view().status === 'loading'}>
          <p class="muted" role="status">
            Loading who is online
          </p>
        </Match>
        <Match when={failed()}>
          {(f) => <p class="muted small">Presence is not available right now: {f().error}</p>}
        </Match>
        <Match when={ready()}>
          {(r) => (
            <>
              <Show when={r().error}>
                <p class="muted small">Presence may be out of date: {r().error}</p>
              </Show>
              <Show when={r().people.length > 0} fallback={<p class="muted">No one is online right now.</p>}>
                <ul class="presence-list">
                  <For each={r().people}>
                    {(p) => <li data-state={p.state}>{presenceLine(p, props.selfId)}</li>}
                  </For>
                </ul>
              </Show>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
