import { createSignal, For, Show, type JSX } from 'solid-js';
import { errorText } from '../../api/http.js';
import { notificationsApi, type OutboxItem } from '../../api/notifications.js';
import { FormError } from '../../components/Field.js';

/** Every message the notification service sent or is sending; with no SMTP server, mail ends here. */
export function OutboxTab(): JSX.Element {
  const [pages, setPages] = createSignal<OutboxItem[][]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const load = async (from?: string) => {
    setError(null);
    try {
      const page = await notificationsApi.outbox(from);
      setPages((p) => (from === undefined ? [page.items] : [...p, page.items]));
      setCursor(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };
  void load();
  return (
    <div>
      <div class="row between">
        <h2>Outbox</h2>
        <button type="button" class="small" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <FormError message={error()} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Channel</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            <For
              each={pages().flat()}
              fallback={
                <tr>
                  <td colspan="6" class="muted">
                    Nothing was sent yet.
                  </td>
                </tr>
              }
            >
              {(m) => (
                <tr>
                  <td>{new Date(m.createdAt).toLocaleString()}</td>
                  <td>{m.channel}</td>
                  <td>{m.to}</td>
                  <td>{m.subject}</td>
                  <td>
                    {m.status}
                    {m.attempts > 1 ? ` after ${m.attempts} attempts` : ''}
                    <Show when={m.lastError}>
                      <span class="muted"> ({m.lastError})</span>
                    </Show>
                  </td>
                  <td>
                    <details>
                      <summary>Show</summary>
                      <pre>{m.body}</pre>
                    </details>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={cursor()}>
        <button type="button" class="small" onClick={() => void load(cursor() ?? undefined)}>
          More
        </button>
      </Show>
    </div>
  );
}
