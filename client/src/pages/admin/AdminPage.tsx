import { createResource, createSignal, For, Match, Show, Switch, type JSX } from 'solid-js';
import { billingApi, formatPrice, type DayUsage } from '../../api/billing.js';
import { adminApi, type AuditEvent, type OrgRole, type PublicUser } from '../../api/auth.js';
import { errorText } from '../../api/http.js';
import { meetingsApi } from '../../api/meetings.js';
import { recordingsApi } from '../../api/recordings.js';
import { notificationsApi, type OutboxItem } from '../../api/notifications.js';
import { FormError } from '../../components/Field.js';
import { useSession } from '../../session.js';

type Tab = 'users' | 'rooms' | 'billing' | 'recordings' | 'audit' | 'outbox';

/** `/admin`: org admins manage their organization; superadmins also see every account. */
export function AdminPage(): JSX.Element {
  const { isAdmin, me } = useSession();
  const [tab, setTab] = createSignal<Tab>('users');
  const tabs = () =>
    [
      ['users', 'Users'],
      ['rooms', 'Live rooms'],
      ['billing', 'Plan and usage'],
      ['recordings', 'Recordings'],
      ['audit', 'Audit log'],
      ...(me()?.user.superadmin ? [['outbox', 'Outbox'] as const] : []),
    ] as ReadonlyArray<readonly [Tab, string]>;
  return (
    <Show when={isAdmin()} fallback={<p class="alert">The admin area is for administrators.</p>}>
      <section>
        <h1>Administration</h1>
        <div class="tabs" role="tablist" aria-label="Admin sections">
          <For each={tabs()}>
            {([id, label]) => (
              <button
                type="button"
                role="tab"
                aria-selected={tab() === id}
                classList={{ active: tab() === id }}
                onClick={() => setTab(id)}
              >
                {label}
              </button>
            )}
          </For>
        </div>
        <div role="tabpanel">
          <Switch>
            <Match when={tab() === 'users'}>
              <UsersTab />
            </Match>
            <Match when={tab() === 'rooms'}>
              <RoomsTab />
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
            <Match when={tab() === 'outbox'}>
              <OutboxTab />
            </Match>
          </Switch>
        </div>
      </section>
    </Show>
  );
}

function UsersTab(): JSX.Element {
  const { me, orgId } = useSession();
  const superadmin = () => me()?.user.superadmin === true;
  const adminOrg = () => me()?.memberships.find((m) => m.role === 'admin')?.orgId ?? orgId();
  const [q, setQ] = createSignal('');
  const [query, setQuery] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [members, { refetch: refetchMembers }] = createResource(
    () => ({ org: adminOrg(), q: query() }),
    ({ org, q }) => (org ? adminApi.members(org, q) : Promise.resolve({ items: [], nextCursor: null })),
  );
  const [users, { refetch: refetchUsers }] = createResource(
    () => (superadmin() ? query() : undefined),
    (q) => adminApi.users(q),
  );
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await Promise.all([refetchMembers(), superadmin() ? refetchUsers() : undefined]);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const toggleDisabled = (u: PublicUser, viaOrg: boolean) =>
    run(() => {
      const org = adminOrg();
      if (viaOrg && org)
        return u.disabled ? adminApi.enableMember(org, u.id) : adminApi.disableMember(org, u.id);
      return u.disabled ? adminApi.enableUser(u.id) : adminApi.disableUser(u.id);
    });

  return (
    <div>
      <form
        class="row gap wrap"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q());
        }}
      >
        <label class="sr-only" for="user-search">
          Search users
        </label>
        <input
          id="user-search"
          type="search"
          placeholder="Name or e-mail"
          value={q()}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <FormError message={error()} />
      <h2>Members of your organization</h2>
      <Show when={!members.error} fallback={<p class="alert">{errorText(members.error)}</p>}>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For
                each={members()?.items ?? []}
                fallback={
                  <tr>
                    <td colspan="5" class="muted">
                      No members found.
                    </td>
                  </tr>
                }
              >
                {(m) => (
                  <tr>
                    <td>{m.user.displayName}</td>
                    <td>{m.user.email}</td>
                    <td>
                      <label class="sr-only" for={`role-${m.user.id}`}>
                        Role of {m.user.displayName}
                      </label>
                      <select
                        id={`role-${m.user.id}`}
                        value={m.role}
                        onChange={(e) => {
                          const org = adminOrg();
                          const role = e.currentTarget.value as OrgRole;
                          if (org) void run(() => adminApi.changeRole(org, m.user.id, role));
                        }}
                      >
                        <option value="admin">Admin</option>
                        <option value="host">Host</option>
                        <option value="member">Member</option>
                      </select>
                    </td>
                    <td>{m.user.disabled ? 'Disabled' : 'Active'}</td>
                    <td>
                      <button
                        type="button"
                        class="small"
                        disabled={m.user.id === me()?.user.id}
                        onClick={() => void toggleDisabled(m.user, true)}
                      >
                        {m.user.disabled ? 'Enable' : 'Disable'}
                        <span class="sr-only"> {m.user.displayName}</span>
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <Show when={superadmin()}>
        <h2>All accounts</h2>
        <Show when={!users.error} fallback={<p class="alert">{errorText(users.error)}</p>}>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={users()?.items ?? []}>
                  {(u) => (
                    <tr>
                      <td>
                        {u.displayName}
                        {u.superadmin ? ' (superadmin)' : ''}
                      </td>
                      <td>{u.email}</td>
                      <td>{u.disabled ? 'Disabled' : 'Active'}</td>
                      <td>
                        <button
                          type="button"
                          class="small"
                          disabled={u.id === me()?.user.id}
                          onClick={() => void toggleDisabled(u, false)}
                        >
                          {u.disabled ? 'Enable' : 'Disable'}
                          <span class="sr-only"> {u.displayName}</span>
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </Show>
    </div>
  );
}

function RoomsTab(): JSX.Element {
  const { orgId } = useSession();
  const [error, setError] = createSignal<string | null>(null);
  const [rooms, { refetch }] = createResource(orgId, (org) => meetingsApi.list(org, 'live'));
  const end = async (id: string, title: string) => {
    if (!confirm(`End "${title}" for everyone?`)) return;
    setError(null);
    try {
      await meetingsApi.end(id);
      await refetch();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div>
      <div class="row between">
        <h2>Live rooms</h2>
        <button type="button" class="small" onClick={() => void refetch()}>
          Refresh
        </button>
      </div>
      <FormError message={error()} />
      <Show when={!rooms.error} fallback={<p class="alert">{errorText(rooms.error)}</p>}>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Meeting</th>
                <th scope="col">Participants</th>
                <th scope="col">Started</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For
                each={rooms()?.items ?? []}
                fallback={
                  <tr>
                    <td colspan="4" class="muted">
                      No meeting is live right now.
                    </td>
                  </tr>
                }
              >
                {(m) => (
                  <tr>
                    <td>{m.title}</td>
                    <td>{m.participant_count}</td>
                    <td>{m.started_at ? new Date(m.started_at).toLocaleTimeString() : ''}</td>
                    <td>
                      <button type="button" class="small danger" onClick={() => void end(m.id, m.title)}>
                        End<span class="sr-only"> {m.title}</span>
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </div>
  );
}

function AuditTab(): JSX.Element {
  const { me, orgId } = useSession();
  const [source, setSource] = createSignal<'meetings' | 'accounts' | 'platform'>('meetings');
  const [events] = createResource(
    () => ({ source: source(), org: orgId() }),
    async ({ source, org }): Promise<AuditEvent[]> => {
      if (source === 'meetings') {
        const page = await meetingsApi.audit(org);
        return page.items.map((e) => ({
          ...e,
          entityId: e.entity_id,
          orgId: e.org_id,
          requestId: e.request_id,
        }));
      }
      if (source === 'platform') return (await adminApi.platformAudit()).items;
      return org ? (await adminApi.orgAudit(org)).items : [];
    },
  );
  return (
    <div>
      <div class="row gap wrap">
        <label for="audit-source">Log</label>
        <select
          id="audit-source"
          value={source()}
          onChange={(e) => setSource(e.currentTarget.value as 'meetings' | 'accounts' | 'platform')}
        >
          <option value="meetings">Meetings</option>
          <option value="accounts">Accounts and members</option>
          <Show when={me()?.user.superadmin}>
            <option value="platform">Whole platform</option>
          </Show>
        </select>
      </div>
      <Show when={!events.error} fallback={<p class="alert">{errorText(events.error)}</p>}>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Entity</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              <For
                each={events() ?? []}
                fallback={
                  <tr>
                    <td colspan="5" class="muted">
                      No events.
                    </td>
                  </tr>
                }
              >
                {(e) => (
                  <tr>
                    <td>{new Date(e.at).toLocaleString()}</td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td>
                      {e.entity} {e.entityId}
                    </td>
                    <td>
                      <details>
                        <summary>Show</summary>
                        <pre>
                          {JSON.stringify(
                            { before: e.before, after: e.after, requestId: e.requestId },
                            null,
                            2,
                          )}
                        </pre>
                      </details>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </div>
  );
}

/** Every message the notification service sent or is sending; with no SMTP server, mail ends here. */
function OutboxTab(): JSX.Element {
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

/** How long the organization keeps its recordings; an hourly job removes older ones. */
function RecordingsTab(): JSX.Element {
  const { me, orgId } = useSession();
  const adminOrg = () => me()?.memberships.find((m) => m.role === 'admin')?.orgId ?? orgId();
  const [retention, { mutate }] = createResource(adminOrg, (org) => recordingsApi.retention(org));
  const [error, setError] = createSignal<string | null>(null);
  const [saved, setSaved] = createSignal(false);
  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    const org = adminOrg();
    if (org === undefined) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const keepAll = form.get('keep') === 'all';
    const days = Number(form.get('days'));
    if (!keepAll && (!Number.isInteger(days) || days < 1 || days > 3650)) {
      setError('Enter a number of days from 1 to 3650.');
      return;
    }
    try {
      mutate(await recordingsApi.setRetention(org, keepAll ? null : days));
      setError(null);
      setSaved(true);
    } catch (err) {
      setSaved(false);
      setError(errorText(err));
    }
  };
  return (
    <div>
      <h2>Keeping recordings</h2>
      <Show when={retention.error}>
        <FormError message={errorText(retention.error)} />
      </Show>
      <Show when={retention()}>
        {(r) => (
          <form class="retention-form" onSubmit={(e) => void save(e)} onInput={() => setSaved(false)}>
            <p class="muted">
              Recordings older than this are deleted with their files, once an hour. Hosts can always delete a
              recording sooner.
            </p>
            <label>
              <input type="radio" name="keep" value="all" checked={r().days === null} /> Keep recordings until
              someone deletes them
            </label>
            <label>
              <input type="radio" name="keep" value="days" checked={r().days !== null} /> Delete recordings
              after{' '}
              <input
                type="number"
                name="days"
                min="1"
                max="3650"
                value={r().days ?? 90}
                aria-label="Days to keep recordings"
                class="days-input"
              />{' '}
              days
            </label>
            <FormError message={error()} />
            <div>
              <button type="submit">Save</button>
              <Show when={saved()}>
                <span class="muted" role="status">
                  {' '}
                  Saved.
                </span>
              </Show>
            </div>
          </form>
        )}
      </Show>
    </div>
  );
}

function BillingTab(): JSX.Element {
  const { me, orgId } = useSession();
  const superadmin = () => me()?.user.superadmin === true;
  const adminOrg = () => me()?.memberships.find((m) => m.role === 'admin')?.orgId ?? orgId();
  const [subscription] = createResource(adminOrg, (org) => billingApi.subscription(org));
  const [usage] = createResource(adminOrg, (org) => billingApi.orgUsage(org));
  const [all] = createResource(
    () => (superadmin() ? true : undefined),
    () => billingApi.allUsage(),
  );
  const caps = () => {
    const p = subscription()?.plan;
    if (p === undefined) return '';
    const minutes =
      p.max_meeting_minutes === 0 ? 'no length cap' : `meetings up to ${p.max_meeting_minutes} minutes`;
    const recording = p.recording_allowed ? `recording ${p.recording_hours} h a month` : 'no recording';
    return `${p.max_participants} participants, ${minutes}, ${recording}`;
  };
  return (
    <div>
      <h2>Plan</h2>
      <Show when={subscription.error}>
        <FormError message={errorText(subscription.error)} />
      </Show>
      <Show when={subscription()}>
        {(s) => (
          <p data-testid="billing-plan">
            <strong>{s().plan.name}</strong> ({formatPrice(s().plan.price_monthly_cents, s().plan.currency)} a
            month): {caps()}.
            <Show when={s().default_plan}>
              <span class="muted"> Every organization starts on this plan.</span>
            </Show>
          </p>
        )}
      </Show>
      <h2>Usage per day</h2>
      <Show when={usage.error}>
        <FormError message={errorText(usage.error)} />
      </Show>
      <Show when={usage()}>
        {(u) => (
          <UsageTable
            items={u().items}
            showOrg={false}
            caption={`Your organization, ${u().from} to ${u().to} (UTC)`}
          />
        )}
      </Show>
      <Show when={superadmin()}>
        <h2>Usage of every organization</h2>
        <Show when={all.error}>
          <FormError message={errorText(all.error)} />
        </Show>
        <Show when={all()}>
          {(u) => <UsageTable items={u().items} showOrg caption={`${u().from} to ${u().to} (UTC)`} />}
        </Show>
      </Show>
    </div>
  );
}

function UsageTable(props: { items: DayUsage[]; showOrg: boolean; caption: string }): JSX.Element {
  return (
    <div class="table-wrap">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <Show when={props.showOrg}>
              <th scope="col">Organization</th>
            </Show>
            <th scope="col">Meeting minutes</th>
            <th scope="col">Participant minutes</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={props.items}
            fallback={
              <tr>
                <td colspan={props.showOrg ? 4 : 3} class="muted">
                  No meetings in this period.
                </td>
              </tr>
            }
          >
            {(d) => (
              <tr>
                <td>{d.day}</td>
                <Show when={props.showOrg}>
                  <td>{d.org_id}</td>
                </Show>
                <td>{d.meeting_minutes}</td>
                <td>{d.participant_minutes}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
