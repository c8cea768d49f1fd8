import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { errorText } from '../api/http.js';
import { notificationsApi, type Channel, type Preferences } from '../api/notifications.js';
import { FormError } from '../components/Field.js';
import { currentSubscription, pushSupported, subscribeThisBrowser } from '../lib/push.js';

const CHANNEL_LABEL: Record<Channel, string> = { email: 'E-mail', push: 'Browser', sms: 'Text message' };

/** `/settings/notifications`: which channels each kind of notification uses, phone number, push. */
export function NotificationSettingsPage(): JSX.Element {
  const [prefs, { mutate, refetch }] = createResource(() => notificationsApi.preferences());
  const [error, setError] = createSignal<string | null>(null);
  const [status, setStatus] = createSignal('');
  const [phone, setPhone] = createSignal<string | null>(null);
  const [browserSubscribed, { refetch: recheck }] = createResource(
    async () => (await currentSubscription()) !== null,
  );

  const run = async (what: string, fn: () => Promise<Preferences | void>) => {
    setError(null);
    setStatus('');
    try {
      const next = await fn();
      if (next) mutate(next);
      else await refetch();
      await recheck();
      setStatus(what);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const toggle = (kind: string, channel: Channel, on: boolean) => {
    const current = prefs()?.kinds.find((k) => k.kind === kind)?.channels ?? [];
    const channels = on ? [...new Set([...current, channel])] : current.filter((c) => c !== channel);
    void run('Saved.', () => notificationsApi.save({ kinds: { [kind]: channels } }));
  };

  const enablePush = () =>
    run('This browser will show notifications.', async () => {
      const p = prefs();
      if (!p) return;
      await notificationsApi.subscribePush(await subscribeThisBrowser(p.vapidPublicKey));
    });

  const disablePush = () =>
    run('This browser no longer shows notifications.', async () => {
      const subscription = await currentSubscription();
      if (!subscription) return;
      await notificationsApi.unsubscribePush(subscription.endpoint).catch(() => undefined);
      await subscription.unsubscribe();
    });

  return (
    <section>
      <h1>Notifications</h1>
      <FormError message={error()} />
      <p role="status" class="muted">
        {status()}
      </p>
      <Show when={prefs()} fallback={<p class="muted">{prefs.error ? errorText(prefs.error) : 'Loading'}</p>}>
        {(p) => (
          <>
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Channels per kind of notification</caption>
                <thead>
                  <tr>
                    <th scope="col">Notification</th>
                    <For each={p().availableChannels}>{(c) => <th scope="col">{CHANNEL_LABEL[c]}</th>}</For>
                  </tr>
                </thead>
                <tbody>
                  <For each={p().kinds}>
                    {(k) => (
                      <tr>
                        <th scope="row">
                          {k.label}
                          <Show when={k.mandatory}>
                            <span class="muted"> (always by e-mail)</span>
                          </Show>
                        </th>
                        <For each={p().availableChannels}>
                          {(c) => (
                            <td>
                              <input
                                type="checkbox"
                                aria-label={`${k.label} by ${CHANNEL_LABEL[c]}`}
                                checked={k.channels.includes(c)}
                                disabled={k.mandatory}
                                onChange={(e) => toggle(k.kind, c, e.currentTarget.checked)}
                              />
                            </td>
                          )}
                        </For>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>

            <h2>Browser notifications</h2>
            <Show
              when={pushSupported()}
              fallback={<p class="muted">This browser cannot show push notifications.</p>}
            >
              <p class="muted">
                {p().pushSubscriptions === 0
                  ? 'No browser receives your notifications yet.'
                  : `${p().pushSubscriptions} browser(s) receive your notifications.`}
              </p>
              <Show
                when={browserSubscribed()}
                fallback={
                  <button type="button" onClick={() => void enablePush()}>
                    Show notifications in this browser
                  </button>
                }
              >
                <button type="button" onClick={() => void disablePush()}>
                  Stop notifications in this browser
                </button>
              </Show>
            </Show>

            <Show when={p().availableChannels.includes('sms')}>
              <h2>Text messages</h2>
              <form
                class="row gap wrap"
                onSubmit={(e) => {
                  e.preventDefault();
                  const value = (phone() ?? p().phone ?? '').trim();
                  void run('Saved.', () => notificationsApi.save({ phone: value === '' ? null : value }));
                }}
              >
                <label for="phone">Mobile number</label>
                <input
                  id="phone"
                  type="tel"
                  autocomplete="tel"
                  placeholder="+4915112345678"
                  value={phone() ?? p().phone ?? ''}
                  onInput={(e) => setPhone(e.currentTarget.value)}
                />
                <button type="submit">Save number</button>
              </form>
            </Show>
            <Show when={p().email}>
              <p class="muted">E-mail goes to {p().email}.</p>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
