// Organizations and people shown by name, with the id beside it: ids alone say nothing to a person, and
// two organizations or people may share a name. Each id is asked of auth once per page load.
import { createResource, Show, type JSX } from 'solid-js';
import { adminApi } from '../../api/auth.js';

/** One answer per key and page load; a failed lookup is asked again next time. */
function cached(lookup: (key: string) => Promise<string | null>): (key: string) => Promise<string | null> {
  const answers = new Map<string, Promise<string | null>>();
  return (key) => {
    let pending = answers.get(key);
    if (pending === undefined) {
      pending = lookup(key).catch(() => {
        answers.delete(key);
        return null;
      });
      answers.set(key, pending);
    }
    return pending;
  };
}

/** An organization's name from auth's list (the superadmin's); null when unknown or unreachable. */
export const organizationName = cached(
  async (orgId) => (await adminApi.organizations(orgId)).items.find((o) => o.id === orgId)?.name ?? null,
);

/**
 * A person's name: the organization's members for an org admin (`org` set), every account for the
 * superadmin. Only user ids are looked up; `system` and `service:...` are shown as they are.
 */
const personName = cached(async (key) => {
  const [org, userId] = key.split(' ') as [string, string];
  if (!/^usr_/.test(userId)) return null;
  const people =
    org === ''
      ? (await adminApi.users(userId)).items
      : (await adminApi.members(org, userId)).items.map((m) => m.user);
  return people.find((u) => u.id === userId)?.displayName ?? null;
});

function Named(props: { id: string; name: string | null | undefined }): JSX.Element {
  return (
    <Show when={props.name} fallback={<span class="break">{props.id}</span>}>
      {(n) => (
        <>
          {n()}
          <span class="muted small break"> ({props.id})</span>
        </>
      )}
    </Show>
  );
}

export function OrgName(props: { id: string }): JSX.Element {
  const [name] = createResource(() => props.id, organizationName);
  return (
    <span class="org-name">
      <Named id={props.id} name={name()} />
    </span>
  );
}

/** `org`: the organization whose members the reader administers; undefined for the superadmin. */
export function PersonName(props: { id: string; org: string | undefined }): JSX.Element {
  const [name] = createResource(() => `${props.org ?? ''} ${props.id}`, personName);
  return <Named id={props.id} name={name()} />;
}

/**
 * The user id an audit filter means by `text`: an id as it is (`usr_...`, `system`, `service:...`),
 * otherwise the one person whose e-mail is `text`, or whose name or e-mail contains it. Throws a message
 * for the form when nobody or several people match.
 */
export async function actorIdFor(text: string, org: string | undefined): Promise<string> {
  const t = text.trim();
  if (t === '' || /^(usr_[\w-]+|system|service:[\w-]+)$/.test(t)) return t;
  const people =
    org === undefined
      ? (await adminApi.users(t)).items
      : (await adminApi.members(org, t)).items.map((m) => m.user);
  const exact = people.filter((u) => u.email.toLowerCase() === t.toLowerCase());
  const found = exact.length === 1 ? exact : people;
  if (found.length === 1) return found[0]!.id;
  throw new Error(
    found.length === 0
      ? `Nobody has a name or e-mail address containing "${t}". Type part of a name, an e-mail address or a user id.`
      : `${found.length} people match "${t}". Type more of the name, or the whole e-mail address.`,
  );
}
