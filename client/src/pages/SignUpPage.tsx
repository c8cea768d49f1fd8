import { A, useLocation, useNavigate, useSearchParams } from '@solidjs/router';
import { createSignal, Show, type JSX } from 'solid-js';
import { authApi } from '../api/auth.js';
import { ApiError, errorText, fieldErrorText } from '../api/http.js';
import { PASSWORD_HINT, SIGN_UP_LABELS } from '../lib/fieldLabels.js';
import { Field, focusFirstInvalid, FormError } from '../components/Field.js';
import { useSession } from '../session.js';
import { InvitationSignUp, invitationToken } from './InvitationSignUp.js';
import { safeNext } from './SignInPage.js';

/** `/sign-up`: an account of one's own, or, from an invitation mail, one in the inviting organization. */
export function SignUpPage(): JSX.Element {
  const location = useLocation();
  const token = () => invitationToken(location.hash);
  return (
    <Show when={token()} keyed fallback={<OpenSignUp />}>
      {(t) => <InvitationSignUp token={t} />}
    </Show>
  );
}

function OpenSignUp(): JSX.Element {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { refresh } = useSession();
  const [name, setName] = createSignal('');
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [org, setOrg] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [fieldErrors, setFieldErrors] = createSignal<ApiError | null>(null);
  const [busy, setBusy] = createSignal(false);
  let form: HTMLFormElement | undefined;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors(null);
    try {
      await authApi.signUp({
        email: email(),
        password: password(),
        displayName: name(),
        ...(org().trim() ? { organizationName: org().trim() } : {}),
      });
      await refresh();
      navigate(safeNext(params.next), { replace: true });
    } catch (err) {
      if (err instanceof ApiError) setFieldErrors(err);
      setError(errorText(err, SIGN_UP_LABELS));
    } finally {
      setBusy(false);
    }
    // Every refused field shows its own error; the person starts at the first of them.
    focusFirstInvalid(form);
  };
  const fe = (f: string) => fieldErrorText(fieldErrors(), f, SIGN_UP_LABELS);

  return (
    <section class="card narrow">
      <h1>Create your account</h1>
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
          required
          value={email()}
          error={fe('email')}
          onInput={(e) => setEmail(e.currentTarget.value)}
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
        <Field
          label="Organization (optional)"
          name="organizationName"
          autocomplete="organization"
          value={org()}
          error={fe('organizationName')}
          onInput={(e) => setOrg(e.currentTarget.value)}
        />
        <button type="submit" class="primary wide" disabled={busy()}>
          {busy() ? 'Creating account' : 'Create account'}
        </button>
      </form>
      <p class="links">
        <A href="/sign-in">I already have an account</A>
      </p>
    </section>
  );
}
