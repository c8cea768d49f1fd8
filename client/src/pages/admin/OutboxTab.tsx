import { For, Show, type JSX } from 'solid-js';
import { notificationsApi } from '../../api/notifications.js';
import { FormError } from '../../components/Field.js';
import { LinkedText } from '../../components/LinkedText.js';
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
      <Show when={items().some((m) => m.keptLocally)}>
        <p class="muted">
          No mail server is set (SMTP_URL), so e-mail goes nowhere: it is kept here, where its links can be
          opened.
        </p>
      </Show>
      <FormError message={error()} />
      {/* One labelled block per message on a phone (table.stack), so long addresses and bodies wrap. */}
      <div class="table-wrap">
        <table class="stack" aria-label="Outbox">
          <TableHead columns={['Created', 'Channel', 'To', 'Subject', 'Status', 'Message']} />
          <tbody>
            <For each={items()} fallback={<EmptyRow columns={6}>Nothing was sent yet.</EmptyRow>}>
              {(m) => (
                <tr>
                  <td data-label="Created">{new Date(m.createdAt).toLocaleString()}</td>
                  <td data-label="Channel">{m.channel}</td>
                  <td data-label="To" class="break">
                    <span>{m.to}</span>
                  </td>
                  <td data-label="Subject" class="break">
                    <span>{m.subject}</span>
                  </td>
                  <td data-label="Status" class="break">
                    <span>
                      {m.keptLocally && m.status === 'delivered' ? 'kept here, not sent' : m.status}
                      {m.attempts > 1 ? ` after ${m.attempts} attempts` : ''}
                      <Show when={m.lastError}>
                        <span class="muted"> ({m.lastError})</span>
                      </Show>
                    </span>
                  </td>
                  <td data-label="Message">
                    <details class="outbox-body">
                      <summary>Show</summary>
                      <pre>
                        <LinkedText text={m.body} />
                      </pre>
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
