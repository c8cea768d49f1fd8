// `/sign-up#invitation=<token>`: sign-up from an invitation mail. The page shows which organization
// invited whom, creates the account already a member, and lands on the dashboard saying where. A link
// that can no longer be used gets a page of its own saying why and what to do next.
import { A, useNavigate } from '@solidjs/router';
import { createResource, createSignal, Match, Show, Switch, type JSX } from 'solid-js';
import { authApi, type InvitationPreview, type OrgRole } from '../api/auth.js';
import { ApiError, errorText, fieldErrorText } from '../api/http.js';
import { INVITATION_SIGN_UP_LABELS, PASSWORD_HINT } from '../lib/fieldLabels.js';
import { Field, focusFirstInvalid, FormError } from '../components/Field.js';
import { useSession } from '../session.js';

/** Reads `#invitation=...` (the token rides in the fragment, which never reaches a server log). */
export function invitationToken(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('invitation') ?? '';
}

const CLOSED_REASONS = ['invitation_invalid', 'invitation_expired', 'invitation_used', 'invitation_revoked'];
type Closed = 'invitation_invalid' | 'invitation_expired' | 'invitation_used' | 'invitation_revoked';

function closedReason(err: unknown): Closed | null {
  return err instanceof ApiError && CLOSED_REASONS.includes(err.reason ?? '') ? (err.reason as Closed) : null;
}

export const ROLE_PHRASE: Readonly<Record<OrgRole, string>> = {
  admin: 'an admin',
  host: 'a host',
  member: 'a member',
};

export function InvitationSignUp(props: { token: string }): JSX.Element {
  const [preview] = createResource(() => props.token, authApi.previewInvitation);
  const [closed, setClosed] = createSignal<Closed | null>(null);
  const dead = () => closed() ?? (preview.error ? closedReason(preview.error) : null);
  return (
    <Switch>
      <Match when={dead()}>{(reason) => <InvitationClosed reason={reason()} />}</Match>
      <Match when={preview.error}>
        <section class="card narrow">
          <h1>Join an organization</h1>
          <p class="alert" role="alert">
            {errorText(preview.error)}
          </p>
        </section>
      </Match>
      <Match when={preview()}>
        {(p) => <InvitedForm token={props.token} preview={p()} onClosed={setClosed} />}
      </Match>
      <Match when={true}>
        <p class="muted center" role="status">
          Checking your invitation
        </p>
      </Match>
    </Switch>
  );
}

function InvitedForm(props: {
  token: string;
  preview: InvitationPreview;
  onClosed: (reason: Closed) => void;
}): JSX.Element {
  const navigate = useNavigate();
  const { refresh } = useSession();
  const [name, setName] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [fieldErrors, setFieldErrors] = createSignal<ApiError | null>(null);
  const [busy, setBusy] = createSignal(false);
  let form: HTMLFormElement | undefined;
  const org = () => props.preview.organization.name;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors(null);
    try {
      const joined = await authApi.acceptInvitation({
        token: props.token,
        email: props.preview.email,
        password: password(),
        displayName: name(),
      });
      await refresh();
      navigate(`/dashboard?joined=${encodeURIComponent(joined.organization.id)}`, { replace: true });
    } catch (err) {
      const reason = closedReason(err);
      if (reason !== null) return props.onClosed(reason);
      if (err instanceof ApiError) setFieldErrors(err);
      setError(errorText(err, INVITATION_SIGN_UP_LABELS));
    } finally {
      setBusy(false);
    }
    // Every refused field shows its own error; the person starts at the first of them.
    focusFirstInvalid(form);
  };
  const fe = (f: string) => fieldErrorText(fieldErrors(), f, INVITATION_SIGN_UP_LABELS);

  return (
    <section class="card narrow">
      <h1>Join {org()} on Origo</h1>
      <p>
        {props.preview.invitedBy || 'An admin'} invited you to join {org()} as{' '}
        {ROLE_PHRASE[props.preview.role]}. Create your account to accept.
      </p>
      <form ref={form} onSubmit={(e) => void submit(e)} novalidate>
        <FormError message={error()} untilEdited />
        <Field
          label="Your name"
          name="displayName"
          autocomplete="name"
          required
          value={name()}
          error={fe('displayName')}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <Field
          label="E-mail"
          type="email"
          name="email"
          autocomplete="email"
          readOnly
          hint="The invitation was sent to this address."
          value={props.preview.email}
          error={fe('email')}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="new-password"
          required
          hint={PASSWORD_HINT}
          value={password()}
          error={fe('password')}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="primary wide" disabled={busy()}>
          {busy() ? 'Creating account' : 'Create account and join'}
        </button>
      </form>
      <p class="links">
        <A href="/sign-in">I already have an account</A>
      </p>
    </section>
  );
}

/** Why the link no longer works, and the next step for each case. */
export function InvitationClosed(props: { reason: Closed }): JSX.Element {
  return (
    <section class="card narrow">
      <Switch>
        <Match when={props.reason === 'invitation_expired'}>
          <h1>This invitation has expired</h1>
          <p>
            Invitation links work for 7 days. Ask an admin of the organization that invited you to send the
            invitation again; the new mail has a fresh link.
          </p>
        </Match>
        <Match when={props.reason === 'invitation_used'}>
          <h1>This invitation was already used</h1>
          <p>An account was already created with this link. Sign in with that account.</p>
        </Match>
        <Match when={props.reason === 'invitation_revoked'}>
          <h1>This invitation was withdrawn</h1>
          <p>
            An admin of the organization withdrew it. If you should still join, ask them to invite you again.
          </p>
        </Match>
        <Match when={props.reason === 'invitation_invalid'}>
          <h1>This invitation link does not work</h1>
          <p>
            Open the link from the most recent invitation mail, in full: sending an invitation again replaces
            the earlier link. If it still does not work, ask an admin of the organization for a new
            invitation.
          </p>
        </Match>
      </Switch>
      <p class="links">
        <A href="/sign-in">Sign in</A>
        <Show when={props.reason !== 'invitation_used'}>
          {' '}
          <A href="/sign-up">Create an account of your own</A>
        </Show>
      </p>
    </section>
  );
}
