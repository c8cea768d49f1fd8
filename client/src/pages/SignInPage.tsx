import { A, useNavigate, useSearchParams } from '@solidjs/router';
import { createResource, createSignal, onMount, Show, type JSX } from 'solid-js';
import { authApi } from '../api/auth.js';
import { ApiError, errorText } from '../api/http.js';
import { SIGN_IN_LABELS } from '../lib/fieldLabels.js';
import { Field, FormError } from '../components/Field.js';
import { DISABLED_NEXT, signedOutText } from '../lib/ended.js';
import { useSession } from '../session.js';

/** Only same-site paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | string[] | undefined): string {
  const n = Array.isArray(next) ? next[0] : next;
  return n !== undefined && n.startsWith('/') && !n.startsWith('//') ? n : '/dashboard';
}

export function SignInPage(): JSX.Element {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { refresh } = useSession();
  const [providers] = createResource(() => authApi.providers().catch(() => null));
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await authApi.signIn({ email: email(), password: password() });
      await refresh();
      navigate(safeNext(params.next), { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The e-mail or password is not right.'
          : err instanceof ApiError && err.reason === 'account_disabled'
            ? `This account is disabled. ${DISABLED_NEXT}`
            : errorText(err, SIGN_IN_LABELS),
      );
    } finally {
      setBusy(false);
    }
  };

  // Why this page is shown when a session ended under another page (SignOutWatch, the meeting page).
  const signedOut = () =>
    signedOutText(Array.isArray(params.signed_out) ? params.signed_out[0] : params.signed_out);
  // That page's session is gone: forget it here, once this page is shown (see SignOutWatch).
  onMount(() => {
    if (signedOut() !== undefined) void refresh().catch(() => undefined);
  });

  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      <Show when={signedOut()}>
        {(text) => (
          <p class="notice" role="status">
            {text()}
          </p>
        )}
      </Show>
      <form onSubmit={(e) => void submit(e)} novalidate>
        <FormError message={error()} />
        <Field
          label="E-mail"
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email()}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="primary wide" disabled={busy()}>
          {busy() ? 'Signing in' : 'Sign in'}
        </button>
      </form>
      <Show when={providers()?.oidc}>
        {(oidc) => (
          <a
            class="button wide"
            href={`${oidc().startUrl}?returnTo=${encodeURIComponent(safeNext(params.next))}`}
          >
            Sign in with {oidc().name}
          </a>
        )}
      </Show>
      <p class="links">
        <A href="/reset-password">Forgot your password?</A>
        <Show when={providers()?.signUp !== false}>
          <A href={`/sign-up${params.next ? `?next=${encodeURIComponent(safeNext(params.next))}` : ''}`}>
            Create an account
          </A>
        </Show>
      </p>
    </section>
  );
}
