// Inviting people from the Users tab: the form (an address that has an account is added at once, any
// other gets an invitation mail with a sign-up link) and the pending invitations, each with Send again
// and Withdraw.
import { createSignal, For, Show, type JSX } from 'solid-js';
import type { Invitation, InviteOutcome, OrgRole } from '../../api/auth.js';
import { errorText } from '../../api/http.js';
import { FormError } from '../../components/Field.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { EmptyRow, TableHead } from './table.js';

const ROLE_LABEL: Readonly<Record<OrgRole, string>> = { admin: 'Admin', host: 'Host', member: 'Member' };

/** What the admin reads after inviting `email`. */
export function inviteNotice(email: string, result: InviteOutcome): string {
  if (result.outcome === 'member_added') return `${email} already has an account and is now a member.`;
  if (result.resent)
    return `${email} was already invited: the invitation was sent again with a new link, and the earlier link no longer works.`;
  return `Invitation sent to ${email}. It is listed under Pending invitations until they sign up.`;
}

function day(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** Invites by e-mail address with a role; shows the server's refusal (bad address, limits) under the form. */
export function InviteForm(props: {
  onInvite: (email: string, role: OrgRole) => Promise<void>;
}): JSX.Element {
  const [email, setEmail] = createSignal('');
  const [role, setRole] = createSignal<OrgRole>('member');
  const [problem, setProblem] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setProblem(null);
    const address = email().trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(address)) {
      setProblem('Enter an e-mail address.');
      return;
    }
    setBusy(true);
    try {
      await props.onInvite(address, role());
      setEmail('');
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="invite-form" aria-label="Invite a member" onSubmit={(e) => void submit(e)}>
      <h2>Invite a member</h2>
      <p class="muted small">
        Someone with an account joins at once; anyone else gets an e-mail with a link to create their account,
        valid for 7 days.
      </p>
      <div class="row wrap">
        <label class="sr-only" for="invite-email">
          E-mail address
        </label>
        <input
          id="invite-email"
          class="grow"
          type="email"
          placeholder="name@example.com"
          value={email()}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <label class="sr-only" for="invite-role">
          Role
        </label>
        <select
          id="invite-role"
          class="fit"
          value={role()}
          onChange={(e) => setRole(e.currentTarget.value as OrgRole)}
        >
          <option value="member">Member</option>
          <option value="host">Host</option>
          <option value="admin">Admin</option>
        </select>
        <button type="submit" class="primary" disabled={busy()}>
          {busy() ? 'Inviting' : 'Invite'}
        </button>
      </div>
      <FormError message={problem()} />
    </form>
  );
}

/** Open invitations of the organization; an expired one can be sent again. */
export function PendingInvitations(props: {
  items: Invitation[] | undefined;
  /** The Users tab's search: only invitations whose e-mail address contains it are listed. */
  query: string;
  error: unknown;
  onResend: (invitation: Invitation) => void;
  onRevoke: (invitation: Invitation) => void;
}): JSX.Element {
  const matching = () => {
    const q = props.query.trim().toLowerCase();
    return (props.items ?? []).filter((i) => q === '' || i.email.toLowerCase().includes(q));
  };
  return (
    <>
      <h2>Pending invitations</h2>
      <Show when={!props.error} fallback={<p class="alert">{errorText(props.error)}</p>}>
        <div class="table-wrap">
          <table class="stack" aria-label="Pending invitations">
            <TableHead columns={['E-mail', 'Role', 'Invited by', 'Status']} hidden="Actions" />
            <tbody>
              <For
                each={matching()}
                fallback={
                  <EmptyRow columns={5}>
                    {props.query.trim() === ''
                      ? 'No pending invitations.'
                      : `No pending invitation to an address with "${props.query.trim()}".`}
                  </EmptyRow>
                }
              >
                {(invitation) => (
                  <tr aria-label={invitation.email}>
                    <td data-label="E-mail" class="break">
                      {invitation.email}
                    </td>
                    <td data-label="Role">{ROLE_LABEL[invitation.role]}</td>
                    <td data-label="Invited by">{invitation.invitedBy.displayName || 'Unknown'}</td>
                    <td data-label="Status">
                      {invitation.expired
                        ? `Expired ${day(invitation.expiresAt)}`
                        : `Expires ${day(invitation.expiresAt)}`}
                      {invitation.sendCount > 1 ? ` (sent ${invitation.sendCount} times)` : ''}
                    </td>
                    <td data-label="Actions">
                      <div class="row wrap">
                        <button type="button" class="small" onClick={() => props.onResend(invitation)}>
                          Send again<span class="sr-only"> to {invitation.email}</span>
                        </button>
                        <ConfirmButton
                          label="Withdraw"
                          name={`Withdraw the invitation of ${invitation.email}`}
                          question={`Withdraw the invitation of ${invitation.email}? Its link stops working.`}
                          confirmLabel="Withdraw invitation"
                          onConfirm={() => props.onRevoke(invitation)}
                        />
                      </div>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </>
  );
}
