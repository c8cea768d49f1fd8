import { createSignal, type JSX } from 'solid-js';
import { authApi } from '../api/auth.js';
import { ApiError, errorText, fieldErrorText, type FieldLabels } from '../api/http.js';
import { Field, focusFirstInvalid, FormError, FormNotice } from '../components/Field.js';
import { PASSWORD_HINT } from '../lib/fieldLabels.js';
import { useSession } from '../session.js';

/** The name form's fields as it labels them, by the names auth reports field problems under. */
const NAME_LABELS: FieldLabels = { displayName: 'Your name' };
/** The password form's fields; `confirmPassword` is checked here only. */
const PASSWORD_LABELS: FieldLabels = {
  currentPassword: 'Current password',
  newPassword: 'New password',
  confirmPassword: 'Confirm new password',
};

/** `/account`: the signed-in person's e-mail (read only), their display name, and their password. */
export function AccountPage(): JSX.Element {
  const { me } = useSession();
  return (
    <div class="account">
      <h1>Your account</h1>
      <NameCard email={me()?.user.email ?? ''} name={me()?.user.displayName ?? ''} />
      <PasswordCard email={me()?.user.email ?? ''} />
    </div>
  );
}

function NameCard(props: { email: string; name: string }): JSX.Element {
  const { refresh } = useSession();
  // Read once: the person's typing is not replaced while the header refreshes.
  const [name, setName] = createSignal(props.name);
  const [error, setError] = createSignal<string | null>(null);
  const [fieldErrors, setFieldErrors] = createSignal<ApiError | null>(null);
  const [saved, setSaved] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let form: HTMLFormElement | undefined;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors(null);
    setSaved(null);
    try {
      const updated = await authApi.updateMe({ displayName: name() });
      setName(updated.user.displayName);
      // The header (and whatever else reads the session) shows the new name.
      await refresh();
      setSaved('Your name is saved.');
    } catch (err) {
      if (err instanceof ApiError) setFieldErrors(err);
      setError(errorText(err, NAME_LABELS));
    } finally {
      setBusy(false);
    }
    focusFirstInvalid(form);
  };
  const fe = (f: string) => fieldErrorText(fieldErrors(), f, NAME_LABELS);

  return (
    <section class="card account-card" aria-labelledby="account-details">
      <h2 id="account-details">Your details</h2>
      <Field
        label="E-mail"
        type="email"
        name="email"
        readOnly
        value={props.email}
        hint="You sign in with this address. It cannot be changed here."
      />
      <form ref={form} aria-label="Your name" onSubmit={(e) => void submit(e)} novalidate>
        <FormError message={error()} untilEdited />
        <Field
          label="Your name"
          name="displayName"
          autocomplete="name"
          required
          maxLength={100}
          hint="Others see this name in meetings and chat. Up to 100 characters."
          value={name()}
          error={fe('displayName')}
          onInput={(e) => {
            setName(e.currentTarget.value);
            setSaved(null);
          }}
        />
        <FormNotice message={saved()} />
        <div class="account-actions">
          <button type="submit" class="primary" disabled={busy()}>
            {busy() ? 'Saving' : 'Save'}
          </button>
        </div>
      </form>
    </section>
  );
}

function PasswordCard(props: { email: string }): JSX.Element {
  const { refresh } = useSession();
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [fieldErrors, setFieldErrors] = createSignal<ApiError | null>(null);
  const [changed, setChanged] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let form: HTMLFormElement | undefined;

  const refuse = (err: unknown) => {
    if (err instanceof ApiError) setFieldErrors(err);
    setError(errorText(err, PASSWORD_LABELS));
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setError(null);
    setFieldErrors(null);
    setChanged(null);
    if (next() !== confirm()) {
      refuse(
        new ApiError(0, 'The two new passwords differ', 'mismatch', [
          { field: 'confirmPassword', message: 'does not match the new password' },
        ]),
      );
      focusFirstInvalid(form);
      return;
    }
    setBusy(true);
    try {
      await authApi.changePassword({ currentPassword: current(), newPassword: next() });
      setCurrent('');
      setNext('');
      setConfirm('');
      // Auth ended every session of the account and gave this browser a new one: read it again.
      await refresh();
      setChanged('Your password is changed. Other devices are signed out.');
    } catch (err) {
      // Auth answers a wrong current password as a refusal of the whole request: shown under that field.
      refuse(
        err instanceof ApiError && err.reason === 'wrong_password'
          ? new ApiError(err.status, err.message, err.reason, [
              { field: 'currentPassword', message: 'is wrong' },
            ])
          : err,
      );
    } finally {
      setBusy(false);
    }
    focusFirstInvalid(form);
  };
  const fe = (f: string) => fieldErrorText(fieldErrors(), f, PASSWORD_LABELS);

  return (
    <section class="card account-card" aria-labelledby="account-password">
      <h2 id="account-password">Change password</h2>
      <form ref={form} aria-labelledby="account-password" onSubmit={(e) => void submit(e)} novalidate>
        {/* For password managers: whose password this is. */}
        <input
          type="email"
          name="username"
          autocomplete="username"
          value={props.email}
          readOnly
          hidden
          aria-hidden="true"
          tabIndex={-1}
        />
        <FormError message={error()} untilEdited />
        <Field
          label="Current password"
          type="password"
          name="currentPassword"
          autocomplete="current-password"
          required
          value={current()}
          error={fe('currentPassword')}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
        <Field
          label="New password"
          type="password"
          name="newPassword"
          autocomplete="new-password"
          required
          hint={PASSWORD_HINT}
          value={next()}
          error={fe('newPassword')}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <Field
          label="Confirm new password"
          type="password"
          name="confirmPassword"
          autocomplete="new-password"
          required
          value={confirm()}
          error={fe('confirmPassword')}
          onInput={(e) => setConfirm(e.currentTarget.value)}
        />
        <FormNotice message={changed()} />
        <div class="account-actions">
          <button type="submit" class="primary" disabled={busy()}>
            {busy() ? 'Changing password' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
