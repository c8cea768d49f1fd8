// Each form's fields as the form labels them, by the names the server reports field problems under
// (`displayName` is "Your name"): an error names a field the way the person sees it, never by the API's
// name for it. Keep these in step with the `label` of each form's fields.
import type { FieldLabels } from '../api/http.js';

/** `/sign-up` (SignUpPage). */
export const SIGN_UP_LABELS: FieldLabels = {
  displayName: 'Your name',
  email: 'E-mail',
  password: 'Password',
  organizationName: 'Organization',
};

/** `/sign-up#invitation=` (InvitationSignUp); the token is the link the person opened. */
export const INVITATION_SIGN_UP_LABELS: FieldLabels = {
  displayName: 'Your name',
  email: 'E-mail',
  password: 'Password',
  token: 'The invitation link',
};

/** `/sign-in`. */
export const SIGN_IN_LABELS: FieldLabels = { email: 'E-mail', password: 'Password' };

/** `/reset-password`, asking for the mail. */
export const RESET_REQUEST_LABELS: FieldLabels = { email: 'E-mail' };

/** `/reset-password#token=`, choosing the new password; the token is the link from the mail. */
export const RESET_CONFIRM_LABELS: FieldLabels = { password: 'New password', token: 'The reset link' };

/** `/verify-email#token=`. */
export const VERIFY_LABELS: FieldLabels = { token: 'The confirmation link' };

/** What a new password must be, as every form that sets one says it: auth applies one policy. */
export const PASSWORD_HINT = 'At least 8 characters, and not a common password.';
