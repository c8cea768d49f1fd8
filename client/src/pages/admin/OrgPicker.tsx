// The superadmin picks an organization by name from auth's list (GET /api/admin/orgs) rather than typing
// its id: a search box narrows the list, a select holds the choice.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { adminApi } from '../../api/auth.js';
import { errorText } from '../../api/http.js';
import { useSession } from '../../session.js';
import { useAdminScope } from './common.js';
import { orgChoices } from './shownOrg.js';

let nextId = 0;

export function OrgPicker(props: {
  /** The chosen organization's id ('' for none). */
  value: string;
  onChange: (orgId: string) => void;
  label?: string;
  /** A first option meaning "no organization chosen", e.g. "Every organization". */
  noneLabel?: string;
  /** The organization the first option stands for (the caller's own), so it is not listed again. */
  ownId?: string;
}): JSX.Element {
  const id = `org-picker-${++nextId}`;
  const [query, setQuery] = createSignal('');
  // The latest search wins; an earlier answer arriving late is dropped by the resource.
  const [found] = createResource(query, async (q) => (await adminApi.organizations(q.trim())).items, {
    initialValue: [],
  });
  const options = () => found.latest ?? [];
  const choices = () =>
    orgChoices(
      props.noneLabel ?? 'Choose an organization',
      options().map((o) => ({
        id: o.id,
        label: `${o.name} (${o.memberCount} ${o.memberCount === 1 ? 'member' : 'members'})`,
      })),
      props.ownId,
    );
  return (
    <div class="org-picker">
      <div class="field">
        <label for={`${id}-search`}>Find an organization</label>
        <input
          id={`${id}-search`}
          type="search"
          placeholder="Name or id"
          value={query()}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      <div class="field org-choice">
        <label for={id}>{props.label ?? 'Organization'}</label>
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          {/* `selected` per option: the list arrives after the select's value was set. */}
          <For each={choices()}>
            {(c) => (
              <option
                value={c.value}
                selected={c.value === props.value || (c.value === '' && props.value === props.ownId)}
              >
                {c.label}
              </option>
            )}
          </For>
        </select>
        <Show when={found.error}>
          <small class="error" role="alert">
            {errorText(found.error)}
          </small>
        </Show>
        <Show when={!found.loading && !found.error && options().length === 0}>
          <small class="muted">No organization matches.</small>
        </Show>
      </div>
    </div>
  );
}

/**
 * The choice of whose data a tab shows, their own (first) organization by default: the superadmin finds
 * any organization by name, an admin of several organizations picks one of theirs.
 */
export function ShownOrgPicker(props: {
  value: string;
  onChange: (orgId: string) => void;
  /** What the choice is for, e.g. "Whose meetings". */
  purpose: string;
}): JSX.Element {
  const { superadmin, adminOrg, adminOrgs } = useAdminScope();
  const { me } = useSession();
  const id = `shown-org-${++nextId}`;
  // The superadmin's own organization heads their list, by name, and is not listed a second time.
  const ownName = () => me()?.memberships.find((m) => m.orgId === adminOrg())?.orgName;
  // An admin of several organizations: the first of theirs is shown by default ('').
  const mine = () => {
    const first = adminOrgs()[0];
    return orgChoices(
      first?.name ?? '',
      adminOrgs().map((o) => ({ id: o.id, label: o.name })),
      first?.id,
    );
  };
  return (
    <section class="shown-org" aria-label={props.purpose}>
      <Show
        when={superadmin()}
        fallback={
          <div class="field">
            <label for={id}>Organization shown</label>
            <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
              <For each={mine()}>
                {(c) => (
                  <option
                    value={c.value}
                    selected={
                      c.value === props.value || (c.value === '' && props.value === adminOrgs()[0]?.id)
                    }
                  >
                    {c.label}
                  </option>
                )}
              </For>
            </select>
          </div>
        }
      >
        <OrgPicker
          value={props.value}
          onChange={props.onChange}
          label="Organization shown"
          noneLabel={ownName() === undefined ? 'Your own organization' : `${ownName()} (your organization)`}
          ownId={adminOrg()}
        />
      </Show>
    </section>
  );
}
