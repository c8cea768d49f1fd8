import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { adminApi, type Invitation, type OrgRole, type PublicUser } from '../../api/auth.js';
import { errorText } from '../../api/http.js';
import { FormError, FormNotice } from '../../components/Field.js';
import { useAdminScope } from './common.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { inviteNotice, InviteForm, PendingInvitations } from './Invitations.js';
import { EmptyRow, TableHead } from './table.js';
import { ROLE_PHRASE } from '../InvitationSignUp.js';
import { useSession } from '../../session.js';

/** Members of the organization (org admins) and every account (superadmin): invite, role, disable, sign out; pending invitations. */
export function UsersTab(): JSX.Element {
  const { superadmin, adminOrg, myUserId } = useAdminScope();
  const { refresh: refreshSession } = useSession();
  const [q, setQ] = createSignal('');
  const [query, setQuery] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [members, { refetch: refetchMembers }] = createResource(
    () => ({ org: adminOrg(), q: query() }),
    ({ org, q }) => (org ? adminApi.members(org, q) : Promise.resolve({ items: [], nextCursor: null })),
  );
  const [invitations, { refetch: refetchInvitations }] = createResource(
    () => adminOrg(),
    (org) => adminApi.invitations(org),
  );
  const [users, { refetch: refetchUsers }] = createResource(
    () => (superadmin() ? query() : undefined),
    (q) => adminApi.users(q),
  );
  const run = async (fn: () => Promise<string | void>) => {
    setError(null);
    setNotice(null);
    try {
      const done = await fn();
      if (typeof done === 'string') setNotice(done);
      await Promise.all([refetchMembers(), refetchInvitations(), superadmin() ? refetchUsers() : undefined]);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const toggleDisabled = (u: PublicUser, viaOrg: boolean) =>
    run(async () => {
      const org = adminOrg();
      if (viaOrg && org)
        await (u.disabled ? adminApi.enableMember(org, u.id) : adminApi.disableMember(org, u.id));
      else await (u.disabled ? adminApi.enableUser(u.id) : adminApi.disableUser(u.id));
      return u.disabled
        ? `${u.displayName} is enabled and can sign in again.`
        : `${u.displayName} is disabled: signed out everywhere, and cannot sign in until enabled.`;
    });
  const signOut = (u: PublicUser, viaOrg: boolean) =>
    run(async () => {
      const org = adminOrg();
      const result =
        viaOrg && org ? await adminApi.signOutMember(org, u.id) : await adminApi.signOutUser(u.id);
      const n = result.sessionsEnded;
      return `${u.displayName} is signed out everywhere (${n} ${n === 1 ? 'session' : 'sessions'} ended).`;
    });
  /** One's own role change to a non-admin role, waiting for the confirmation. */
  const [selfRole, setSelfRole] = createSignal<{ role: OrgRole; select: HTMLSelectElement } | null>(null);
  const changeRole = (
    user: PublicUser,
    was: OrgRole,
    role: OrgRole,
    select: HTMLSelectElement,
    self = false,
  ) => {
    const org = adminOrg();
    if (!org) return;
    void run(async () => {
      try {
        await adminApi.changeRole(org, user.id, role);
      } catch (err) {
        // Refused: the list shows the role the person still has.
        select.value = was;
        throw err;
      }
      // The session learns the new role, so the admin area closes instead of failing action by action.
      if (self) await refreshSession();
      return `${user.displayName} is now ${ROLE_PHRASE[role]}.`;
    });
  };
  const resend = (invitation: Invitation) =>
    run(async () => {
      const org = adminOrg();
      if (org === undefined) return;
      await adminApi.resendInvitation(org, invitation.id);
      return `The invitation to ${invitation.email} was sent again with a new link; the earlier link no longer works.`;
    });
  const revoke = (invitation: Invitation) =>
    run(async () => {
      const org = adminOrg();
      if (org === undefined) return;
      await adminApi.revokeInvitation(org, invitation.id);
      return `The invitation to ${invitation.email} was withdrawn; its link no longer works.`;
    });

  return (
    <div>
      <InviteForm
        onInvite={async (email, role) => {
          const org = adminOrg();
          if (org === undefined) return;
          setNotice(null);
          setError(null);
          const result = await adminApi.invite(org, email, role);
          setNotice(inviteNotice(email, result));
          await Promise.all([refetchMembers(), refetchInvitations()]);
        }}
      />
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
          class="grow"
          type="search"
          placeholder="Name or e-mail"
          value={q()}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <FormError message={error()} />
      {/* The row the action was on is drawn again: the focus goes to what happened. */}
      <FormNotice message={notice()} takeFocus />
      <h2>Members of your organization</h2>
      <Show when={!members.error} fallback={<p class="alert">{errorText(members.error)}</p>}>
        <div class="table-wrap">
          <table class="stack" aria-label="Members">
            <TableHead columns={['Name', 'E-mail', 'Role', 'Status']} hidden="Actions" />
            <tbody>
              <For
                each={members()?.items ?? []}
                fallback={<EmptyRow columns={5}>No members found.</EmptyRow>}
              >
                {(m) => (
                  <tr aria-label={m.user.displayName}>
                    <td data-label="Name">{m.user.displayName}</td>
                    <td data-label="E-mail" class="break">
                      {m.user.email}
                    </td>
                    <td data-label="Role">
                      <label class="sr-only" for={`role-${m.user.id}`}>
                        Role of {m.user.displayName}
                      </label>
                      <select
                        id={`role-${m.user.id}`}
                        value={m.role}
                        onChange={(e) => {
                          const select = e.currentTarget;
                          const role = select.value as OrgRole;
                          // Giving up one's own admin role closes this page to oneself: ask first.
                          if (
                            m.user.id === myUserId() &&
                            m.role === 'admin' &&
                            role !== 'admin' &&
                            !superadmin()
                          ) {
                            setSelfRole({ role, select });
                            return;
                          }
                          changeRole(m.user, m.role, role, select);
                        }}
                      >
                        <option value="admin">Admin</option>
                        <option value="host">Host</option>
                        <option value="member">Member</option>
                      </select>
                      <Show when={m.user.id === myUserId() ? selfRole() : null}>
                        {(pending) => (
                          <SelfDemotion
                            role={pending().role}
                            onAnswer={(confirmed) => {
                              const { role, select } = pending();
                              setSelfRole(null);
                              if (confirmed) changeRole(m.user, m.role, role, select, true);
                              else {
                                select.value = m.role;
                                select.focus();
                              }
                            }}
                          />
                        )}
                      </Show>
                    </td>
                    <td data-label="Status">{m.user.disabled ? 'Disabled' : 'Active'}</td>
                    <td data-label="Actions">
                      <UserActions
                        user={m.user}
                        self={m.user.id === myUserId()}
                        onToggle={() => void toggleDisabled(m.user, true)}
                        onSignOut={() => void signOut(m.user, true)}
                      />
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <PendingInvitations
        items={invitations()?.items}
        query={query()}
        error={invitations.error}
        onResend={(i) => void resend(i)}
        onRevoke={(i) => void revoke(i)}
      />
      <Show when={superadmin()}>
        <h2>All accounts</h2>
        <Show when={!users.error} fallback={<p class="alert">{errorText(users.error)}</p>}>
          <div class="table-wrap">
            <table class="stack" aria-label="All accounts">
              <TableHead columns={['Name', 'E-mail', 'Status']} hidden="Actions" />
              <tbody>
                <For each={users()?.items ?? []}>
                  {(u) => (
                    <tr aria-label={u.displayName}>
                      <td data-label="Name">
                        {u.displayName}
                        {u.superadmin ? ' (superadmin)' : ''}
                      </td>
                      <td data-label="E-mail" class="break">
                        {u.email}
                      </td>
                      <td data-label="Status">{u.disabled ? 'Disabled' : 'Active'}</td>
                      <td data-label="Actions">
                        <UserActions
                          user={u}
                          self={u.id === myUserId()}
                          onToggle={() => void toggleDisabled(u, false)}
                          onSignOut={() => void signOut(u, false)}
                        />
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

/**
 * The question asked before an admin makes themselves a host or member: they lose the admin area at
 * once. The focus goes to the harmless answer; Escape keeps the admin role.
 */
function SelfDemotion(props: { role: OrgRole; onAnswer: (confirmed: boolean) => void }): JSX.Element {
  const question = () =>
    `Make yourself ${ROLE_PHRASE[props.role]}? You lose this admin area at once; another admin can make you an admin again.`;
  return (
    <div
      class="self-demotion"
      role="group"
      aria-label={question()}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          props.onAnswer(false);
        }
      }}
    >
      <p>{question()}</p>
      <div class="row wrap">
        <button type="button" class="small danger" onClick={() => props.onAnswer(true)}>
          Make me {props.role}
        </button>
        <button
          type="button"
          class="small"
          ref={(el) => queueMicrotask(() => el.focus())}
          onClick={() => props.onAnswer(false)}
        >
          Stay admin
        </button>
      </div>
    </div>
  );
}

/** Why one's own Disable and Sign out everywhere are unavailable, each in its own words. */
const SELF_DISABLE_REASON = 'you cannot disable your own account';
const SELF_SIGN_OUT_REASON = 'not for your own account: Sign out at the top of the page ends this session';
/** The same, visible on the own row: disabled buttons take no focus and show no tooltip to keyboards. */
const SELF_NOTE =
  'This is you: you cannot disable your own account or sign it out everywhere here. ' +
  'Sign out at the top of the page ends this session.';

function UserActions(props: {
  user: PublicUser;
  self: boolean;
  onToggle: () => void;
  onSignOut: () => void;
}): JSX.Element {
  return (
    <div class="row wrap">
      {/* Enabling needs no confirmation; disabling signs the person out and keeps them out. */}
      <Show
        when={!props.user.disabled}
        fallback={
          <button type="button" class="small" onClick={() => props.onToggle()}>
            Enable<span class="sr-only"> {props.user.displayName}</span>
          </button>
        }
      >
        <ConfirmButton
          label="Disable"
          name={`Disable ${props.user.displayName}`}
          question={`Disable ${props.user.displayName}? They are signed out and cannot sign in until enabled.`}
          confirmLabel={`Disable ${props.user.displayName}`}
          disabled={props.self}
          disabledReason={SELF_DISABLE_REASON}
          onConfirm={() => props.onToggle()}
        />
      </Show>
      <ConfirmButton
        label="Sign out everywhere"
        name={`Sign out ${props.user.displayName} everywhere`}
        question={`Sign ${props.user.displayName} out of every device and meeting?`}
        confirmLabel={`Sign ${props.user.displayName} out`}
        disabled={props.self}
        disabledReason={SELF_SIGN_OUT_REASON}
        onConfirm={() => props.onSignOut()}
      />
      <Show when={props.self}>
        <p class="muted self-note">{SELF_NOTE}</p>
      </Show>
    </div>
  );
}
