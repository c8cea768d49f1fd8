// An organization shown to the superadmin by its name (auth's list, asked once per id and page load),
// with its id under it: ids alone say nothing to a person, and two organizations may share a name.
import { createResource, Show, type JSX } from 'solid-js';
import { adminApi } from '../../api/auth.js';

const names = new Map<string, Promise<string | null>>();

/** The organization's name, or null when auth does not know the id or does not answer. */
function nameOf(orgId: string): Promise<string | null> {
  let pending = names.get(orgId);
  if (pending === undefined) {
    pending = adminApi
      .organizations(orgId)
      .then((page) => page.items.find((o) => o.id === orgId)?.name ?? null)
      .catch(() => {
        names.delete(orgId); // asked again next time
        return null;
      });
    names.set(orgId, pending);
  }
  return pending;
}

export function OrgName(props: { id: string }): JSX.Element {
  const [name] = createResource(() => props.id, nameOf);
  return (
    <span class="org-name">
      <Show when={name()} fallback={<span class="break">{props.id}</span>}>
        {(n) => (
          <>
            {n()}
            <span class="muted small break"> ({props.id})</span>
          </>
        )}
      </Show>
    </span>
  );
}
