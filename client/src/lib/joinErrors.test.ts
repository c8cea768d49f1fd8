import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/http.js';
import {
  asksPasscode,
  INVITE_EXPIRED_TEXT,
  INVITE_INVALID_TEXT,
  inviteProblem,
  joinErrorText,
  joinRefusal,
  NO_MEETING_TEXT,
  NOT_INVITED_TEXT,
  refusalText,
  SIGN_IN_OR_INVITE_TEXT,
} from './joinErrors.js';

/** The join endpoint's refusals, as control sends them. */
const invalidInvite = new ApiError(
  403,
  'The invitation is not valid for this meeting',
  'invalid_invitation',
  [],
);
const expiredInvite = new ApiError(403, 'The invitation expired or was revoked', 'invitation_expired', []);
const credentialsRequired = new ApiError(
  401,
  'Sign in or use an invitation to join',
  'credentials_required',
  [],
);
const notInvited = new ApiError(403, 'You are not invited to this meeting', 'not_invited', []);
const passcodeRequired = new ApiError(
  403,
  'This meeting needs a passcode or an invitation',
  'passcode_required',
  [],
);
const noMeeting = new ApiError(404, 'Meeting not found', undefined, []);

describe('pressing Join with an invite link that no longer works', () => {
  it("says an expired or revoked link in the preview's words", () => {
    expect(joinRefusal(expiredInvite)).toBe('invite_expired');
    expect(inviteProblem('expired')).toBe('invite_expired');
    expect(refusalText('invite_expired', true)).toBe(INVITE_EXPIRED_TEXT);
    expect(INVITE_EXPIRED_TEXT).toBe(
      'This invite link is no longer valid: it expired or was revoked. Ask the host for a new one.',
    );
    expect(joinErrorText(expiredInvite)).toBe(INVITE_EXPIRED_TEXT);
  });

  it('says a mangled link is not valid, and how to get a working one, not that it expired', () => {
    expect(joinRefusal(invalidInvite)).toBe('invite_invalid');
    expect(inviteProblem('invalid')).toBe('invite_invalid');
    expect(refusalText('invite_invalid', true)).toBe(INVITE_INVALID_TEXT);
    expect(INVITE_INVALID_TEXT).toMatch(/^This invite link is not valid:/);
    expect(INVITE_INVALID_TEXT).toMatch(/copied the whole link/);
    expect(INVITE_INVALID_TEXT).toMatch(/ask the host for a new one/);
    expect(INVITE_INVALID_TEXT).not.toMatch(/expired|revoked/);
    expect(joinErrorText(invalidInvite)).toBe(INVITE_INVALID_TEXT);
  });

  it('treats a working invitation, or none, as no problem', () => {
    expect(inviteProblem('valid')).toBeNull();
    expect(inviteProblem('none')).toBeNull();
  });

  it("says a link to no meeting in the preview's words", () => {
    expect(joinRefusal(noMeeting)).toBe('missing');
    expect(joinErrorText(noMeeting)).toBe(NO_MEETING_TEXT);
    expect(NO_MEETING_TEXT).toMatch(/^This link leads to no meeting:/);
  });
});

describe('a meeting link without its invite part', () => {
  it('does not ask for a passcode the meeting does not have', () => {
    expect(asksPasscode(credentialsRequired)).toBe(false);
    expect(asksPasscode(notInvited)).toBe(false);
    expect(joinErrorText(credentialsRequired)).not.toMatch(/passcode/i);
  });

  it('tells a signed-out person to use the invite link or sign in', () => {
    expect(joinRefusal(credentialsRequired)).toBe('sign_in');
    expect(refusalText('sign_in', true)).toBe(SIGN_IN_OR_INVITE_TEXT);
    expect(SIGN_IN_OR_INVITE_TEXT).toMatch(/invite link from the host.*sign in/);
  });

  it('tells a signed-in person who is not a member to ask for an invite link', () => {
    expect(joinRefusal(notInvited)).toBe('not_invited');
    expect(refusalText('not_invited', false)).toBe(NOT_INVITED_TEXT);
  });

  it('asks for the passcode when the meeting has one', () => {
    expect(asksPasscode(passcodeRequired)).toBe(true);
    expect(joinRefusal(passcodeRequired)).toBeNull();
    expect(joinErrorText(passcodeRequired)).toMatch(/needs a passcode/);
  });
});
