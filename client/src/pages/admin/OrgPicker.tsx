// The superadmin picks an organization by name from auth's list (GET /api/admin/orgs) rather than typing
// its id: a search box narrows the list, a select holds the choice.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { adminApi } from '../../api/auth.js';
import { errorText } from '../../api/http.js';

let nextId = 0;

export function OrgPicker(props: {
  /** The chosen organization's id ('' for none). */
  value: string;
  onChange: (orgId: string) => void;
  label?: string;
  /** A first option meaning "no organization chosen", e.g. "Every organization". */
  noneLabel?: string;
}): JSX.Element {
  const id = `org-picker-${++nextId}`;
  const [query, setQuery] = createSignal('');
  // The latest search wins; an earlier answer arriving late is dropped by the resource.
  const [found] = createResource(query, async (q) => (await adminApi.organizations(q.trim())).items, {
    initialValue: [],
  });
  const options = () => found.latest ?? [];
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
      <div class="field">
        <label for={id}>{props.label ?? 'Organization'}</label>
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          <option value="" selected={props.value === ''}>
            {props.noneLabel ?? 'Choose an organization'}
          </option>
          {/* `selected` per option: the list arrives after the select's value was set. */}
          <For each={options()}>
            {(o) => (
              <option value={o.id} selected={o.id === props.value}>
                {o.name} ({o.memberCount} {o.memberCount === 1 ? 'member' : 'members'})
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

/** The superadmin's choice of whose data a tab shows, their own organization by default. */
export function ShownOrgPicker(props: {
  value: string;
  onChange: (orgId: string) => void;
  /** What the choice is for, e.g. "Whose meetings". */
  purpose: string;
}): JSX.Element {
  return (
    <section class="shown-org" aria-label={props.purpose}>
      <OrgPicker
        value={props.value}
        onChange={props.onChange}
        label="Organization shown"
        noneLabel="Your own organization"
      />
    </section>
  );
}
