import { A, useLocation } from '@solidjs/router';
import { createResource, createSignal, Show, type JSX } from 'solid-js';
import { errorText } from '../api/http.js';
import { notificationsApi } from '../api/notifications.js';
import { hashToken } from './ResetPages.js';

/** `/unsubscribe#token=...`: the link at the foot of a mail. Opening it changes nothing; the button does. */
export function UnsubscribePage(): JSX.Element {
  const location = useLocation();
  const token = () => hashToken(location.hash);
  const [what] = createResource(token, (t) => notificationsApi.describeUnsubscribe(t));
  const [done, setDone] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const confirm = async () => {
    setError(null);
    try {
      await notificationsApi.unsubscribe(token());
      setDone(true);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section class="card narrow">
      <h1>Unsubscribe</h1>
      <Show when={!what.error} fallback={<p class="alert">{errorText(what.error)}</p>}>
        <Show
          when={done()}
          fallback={
            <>
              <p>Stop e-mails of this kind: {what()?.label ?? ''}?</p>
              <button type="button" onClick={() => void confirm()} disabled={what() === undefined}>
                Unsubscribe
              </button>
            </>
          }
        >
          <p role="status">You will no longer get e-mails of this kind: {what()?.label}.</p>
        </Show>
      </Show>
      <Show when={error()}>
        <p class="alert">{error()}</p>
      </Show>
      <p class="links">
        <A href="/settings/notifications">All notification settings</A>
      </p>
    </section>
  );
}
