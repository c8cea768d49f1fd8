import { A, useLocation } from '@solidjs/router';
import { createSignal, onMount, Show, type JSX } from 'solid-js';
import { authApi } from '../api/auth.js';
import { errorText } from '../api/http.js';
import { RESET_CONFIRM_LABELS, RESET_REQUEST_LABELS, VERIFY_LABELS } from '../lib/fieldLabels.js';
import { Field, FormError } from '../components/Field.js';

/** Reads `#token=...`: tokens travel in the fragment so they never reach a server log. */
export function hashToken(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}

/** `/reset-password`: the request form, or the new-password form when the link carries a token. */
export function ResetPasswordPage(): JSX.Element {
  const location = useLocation();
  return (
    <Show when={hashToken(location.hash) !== ''} fallback={<ResetRequestPage />}>
      <ResetConfirmPage token={hashToken(location.hash)} />
    </Show>
  );
}

export function VerifyEmailPage(): JSX.Element {
  const location = useLocation();
  const [state, setState] = createSignal<'working' | 'done' | string>('working');
  onMount(() => {
    authApi
      .verifyEmail(hashToken(location.hash))
      .then(() => setState('done'))
      .catch((err: unknown) => setState(errorText(err, VERIFY_LABELS)));
  });
  return (
    <section class="card narrow">
      <h1>Confirm your e-mail</h1>
      <p role="status">
        {state() === 'working'
          ? 'Confirming'
          : state() === 'done'
            ? 'Your e-mail address is confirmed.'
            : state()}
      </p>
      <p class="links">
        <A href="/">Continue</A>
      </p>
    </section>
  );
}

function ResetRequestPage(): JSX.Element {
  const [email, setEmail] = createSignal('');
  const [sent, setSent] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await authApi.requestReset(email());
      setSent(true);
    } catch (err) {
      setError(errorText(err, RESET_REQUEST_LABELS));
    }
  };
  return (
    <section class="card narrow">
      <h1>Reset your password</h1>
      <Show
        when={!sent()}
        fallback={
          <p role="status">
            If an account uses {email()}, a message with a reset link is on its way. The link works for a
            limited time.
          </p>
        }
      >
        <form onSubmit={(e) => void submit(e)} novalidate>
          <FormError message={error()} />
          <Field
            label="E-mail"
            type="email"
            autocomplete="email"
            required
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <button type="submit" class="primary wide">
            Send reset link
          </button>
        </form>
      </Show>
      <p class="links">
        <A href="/sign-in">Back to sign in</A>
      </p>
    </section>
  );
}

function ResetConfirmPage(props: { token: string }): JSX.Element {
  const [password, setPassword] = createSignal('');
  const [repeat, setRepeat] = createSignal('');
  const [done, setDone] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const token = () => props.token;
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setError(null);
    if (password() !== repeat()) {
      setError('The two passwords differ.');
      return;
    }
    try {
      await authApi.confirmReset(token(), password());
      setDone(true);
    } catch (err) {
      setError(errorText(err, RESET_CONFIRM_LABELS));
    }
  };
  return (
    <section class="card narrow">
      <h1>Choose a new password</h1>
      <Show
        when={!done()}
        fallback={
          <p role="status">
            Your password was changed. <A href="/sign-in">Sign in</A>
          </p>
        }
      >
        <Show
          when={token() !== ''}
          fallback={<p class="alert">This link has no reset token. Request a new link.</p>}
        >
          <form onSubmit={(e) => void submit(e)} novalidate>
            <FormError message={error()} />
            <Field
              label="New password"
              type="password"
              autocomplete="new-password"
              required
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
            <Field
              label="Repeat the new password"
              type="password"
              autocomplete="new-password"
              required
              value={repeat()}
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
            <button type="submit" class="primary wide">
              Change password
            </button>
          </form>
        </Show>
      </Show>
    </section>
  );
}
