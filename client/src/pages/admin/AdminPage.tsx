import { useSearchParams } from '@solidjs/router';
import { For, Match, Show, Switch, type JSX } from 'solid-js';
import { useSession } from '../../session.js';
import { AuditTab } from './AuditTab.js';
import { BillingTab } from './BillingTab.js';
import { HealthTab } from './HealthTab.js';
import { MeetingsTab } from './MeetingsTab.js';
import { OutboxTab } from './OutboxTab.js';
import { RecordingsTab } from './RecordingsTab.js';
import { RoomsTab } from './RoomsTab.js';
import { UsersTab } from './UsersTab.js';

type Tab = 'users' | 'rooms' | 'meetings' | 'billing' | 'recordings' | 'audit' | 'health' | 'outbox';

/** `/admin`: org admins manage their organization; superadmins also see every account and the system. */
export function AdminPage(): JSX.Element {
  const { isAdmin, me } = useSession();
  // The open tab is in the address (`?tab=billing`), so a reload, a bookmark or Back keeps it.
  const [params, setParams] = useSearchParams<{ tab?: string }>();
  const tab = (): Tab => {
    const asked = params.tab;
    return tabs().some(([id]) => id === asked) ? (asked as Tab) : 'users';
  };
  const setTab = (id: Tab) => setParams({ tab: id === 'users' ? undefined : id });
  const tabs = () =>
    [
      ['users', 'Users'],
      ['rooms', 'Live rooms'],
      ['meetings', 'Meetings'],
      ['billing', 'Plan and usage'],
      ['recordings', 'Recordings'],
      ['audit', 'Audit log'],
      ...(me()?.user.superadmin
        ? ([
            ['health', 'System health'],
            ['outbox', 'Outbox'],
          ] as const)
        : []),
    ] as ReadonlyArray<readonly [Tab, string]>;
  return (
    <Show when={isAdmin()} fallback={<p class="alert">The admin area is for administrators.</p>}>
      <section class="admin">
        <h1>Administration</h1>
        <div class="tabs" role="tablist" aria-label="Admin sections">
          <For each={tabs()}>
            {([id, label]) => (
              <button
                type="button"
                role="tab"
                id={`admin-tab-${id}`}
                aria-controls="admin-panel"
                aria-selected={tab() === id}
                classList={{ active: tab() === id }}
                onClick={() => setTab(id)}
              >
                {label}
              </button>
            )}
          </For>
        </div>
        {/* Only the open tab is mounted, so the live rooms stop polling when another tab is chosen. */}
        <div role="tabpanel" id="admin-panel" aria-labelledby={`admin-tab-${tab()}`}>
          <Switch>
            <Match when={tab() === 'users'}>
              <UsersTab />
            </Match>
            <Match when={tab() === 'rooms'}>
              <RoomsTab />
            </Match>
            <Match when={tab() === 'meetings'}>
              <MeetingsTab />
            </Match>
            <Match when={tab() === 'billing'}>
              <BillingTab />
            </Match>
            <Match when={tab() === 'recordings'}>
              <RecordingsTab />
            </Match>
            <Match when={tab() === 'audit'}>
              <AuditTab />
            </Match>
            <Match when={tab() === 'health'}>
              <HealthTab />
            </Match>
            <Match when={tab() === 'outbox'}>
              <OutboxTab />
            </Match>
          </Switch>
        </div>
      </section>
    </Show>
  );
}
