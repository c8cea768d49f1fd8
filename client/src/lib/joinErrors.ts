// What the join page says when a link cannot take a person into the meeting. The page says it once,
// in the same words whether it learned it from the preview (when the page opened) or from pressing Join
// (the link may stop working in between): each case has one text here.
import { ApiError, errorText } from '../api/http.js';

export const NO_MEETING_TEXT =
  'This link leads to no meeting: it may be mistyped, or the meeting was removed. Check the link with the person who sent it.';
/** A token the server knows as one of this meeting's links that expired or a host revoked. */
export const INVITE_EXPIRED_TEXT =
  'This invite link is no longer valid: it expired or was revoked. Ask the host for a new one.';
/** A token that is no invitation at all: most often a link cut short or changed when it was copied. */
export const INVITE_INVALID_TEXT =
  'This invite link is not valid: part of it may be missing or changed. Check that you copied the whole link, or ask the host for a new one.';
export const NOT_INVITED_TEXT = 'You are not invited to this meeting. Ask the host for an invite link.';
/** For a signed-out visitor on a link without an invite, to a meeting with no passcode (the page links "sign in"). */
export const SIGN_IN_OR_INVITE_TEXT =
  "To join, use the invite link from the host, or sign in if you belong to the meeting's organization.";

/**
 * Why the link itself cannot take this person in: shown as the page's notice, in place of an error.
 * `missing`: no such meeting; `invite_expired`: the invite expired or was revoked; `invite_invalid`: the
 * invite part of the link is not an invitation (mangled, cut short); `sign_in`: no invite in the link and
 * no passcode to ask for; `not_invited`: signed in, but neither a member nor invited.
 */
export type JoinRefusal = 'missing' | 'invite_expired' | 'invite_invalid' | 'sign_in' | 'not_invited';

/** The preview's word for an invite token that lets nobody in, as a refusal; null for a working one. */
export function inviteProblem(
  invitation: 'valid' | 'expired' | 'invalid' | 'none',
): 'invite_expired' | 'invite_invalid' | null {
  if (invitation === 'expired') return 'invite_expired';
  if (invitation === 'invalid') return 'invite_invalid';
  return null;
}

export function joinRefusal(err: unknown): JoinRefusal | null {
  if (!(err instanceof ApiError)) return null;
  switch (err.reason) {
    case 'invitation_expired':
      return 'invite_expired';
    case 'invalid_invitation':
      return 'invite_invalid';
    case 'credentials_required':
      return 'sign_in';
    case 'not_invited':
      return 'not_invited';
    default:
      return err.status === 404 ? 'missing' : null;
  }
}

/** The refusal's words; `sign_in` as plain text (the page shows it with a sign-in link). */
export function refusalText(refusal: JoinRefusal, signedOut: boolean): string {
  switch (refusal) {
    case 'missing':
      return NO_MEETING_TEXT;
    case 'invite_expired':
      return INVITE_EXPIRED_TEXT;
    case 'invite_invalid':
      return INVITE_INVALID_TEXT;
    case 'not_invited':
      return NOT_INVITED_TEXT;
    case 'sign_in':
      return signedOut ? SIGN_IN_OR_INVITE_TEXT : NOT_INVITED_TEXT;
  }
}

/** Whether the answer to Join asks for the meeting's passcode (the meeting has one). */
export function asksPasscode(err: unknown): boolean {
  return err instanceof ApiError && (err.reason === 'passcode_required' || err.reason === 'wrong_passcode');
}

/** Any other failure to join, for the form's error. */
export function joinErrorText(err: unknown): string {
  const refusal = joinRefusal(err);
  if (refusal !== null) return refusalText(refusal, true);
  if (err instanceof ApiError) {
    switch (err.reason) {
      case 'passcode_required':
        return 'This meeting needs a passcode. Enter it to join, or use the invite link from the host.';
      case 'wrong_passcode':
        return 'That passcode is not right. Check it with the host and try again.';
      case 'meeting_locked':
        return 'The meeting is locked. Ask the host to unlock it.';
      case 'meeting_full':
        return 'The meeting is full.';
      case 'waiting_for_host':
        return 'The host has not started the meeting yet. Try again in a moment.';
      case 'removed_by_host':
        return 'The host removed you from this meeting. You can join again once a host lets you back in.';
      default:
        break;
    }
  }
  return errorText(err, { name: 'Your name', passcode: 'Meeting passcode' });
}
