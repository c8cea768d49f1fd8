import { For, Show, type JSX } from 'solid-js';
import { notificationsApi } from '../../api/notifications.js';
import { FormError } from '../../components/Field.js';
import { createPagedList } from './paged.js';
import { EmptyRow, MoreButton, TableHead } from './table.js';

/** Every message the notification service sent or is sending; with no SMTP server, mail ends here. */
export function OutboxTab(): JSX.Element {
  const { items, cursor, error, load } = createPagedList(async (from) => {
    const page = await notificationsApi.outbox(from);
    return { items: page.items, next: page.nextCursor };
  });
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
          <TableHead columns={['Created', 'Channel', 'To', 'Subject', 'Status', 'Message']} />
          <tbody>
            <For each={items()} fallback={<EmptyRow columns={6}>Nothing was sent yet.</EmptyRow>}>
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
      <MoreButton cursor={cursor()} onMore={(next) => void load(next)} />
    </div>
  );
}
