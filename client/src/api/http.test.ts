import { describe, expect, it } from 'vitest';
import {
  INVITATION_SIGN_UP_LABELS,
  RESET_CONFIRM_LABELS,
  SIGN_IN_LABELS,
  SIGN_UP_LABELS,
} from '../lib/fieldLabels.js';
import { ApiError, errorText, fieldErrorText, UNLABELLED_FIELD_TEXT } from './http.js';

/** A 400 as the auth service sends it for a sign-up body that fails validation. */
const invalid = (...fields: Array<[string, string]>) =>
  new ApiError(
    400,
    'Invalid request',
    undefined,
    fields.map(([field, message]) => ({ field, message })),
  );

describe('field errors on the sign-up page', () => {
  it('name the field as the form labels it, never by its API name', () => {
    const err = invalid(['displayName', 'is required']);
    const form = errorText(err, SIGN_UP_LABELS);
    expect(form).toBe('Your name is required.');
    expect(form).not.toMatch(/displayName|Invalid request/);
    expect(fieldErrorText(err, 'displayName', SIGN_UP_LABELS)).toBe('Your name is required.');
    expect(fieldErrorText(err, 'email', SIGN_UP_LABELS)).toBeUndefined();
  });

  it('say every field problem, each with its label', () => {
    const err = invalid(
      ['displayName', 'must be at most 100 characters'],
      ['email', 'must be an e-mail address'],
      ['organizationName', 'is required'],
    );
    expect(errorText(err, SIGN_UP_LABELS)).toBe(
      'Your name must be at most 100 characters. E-mail must be an e-mail address. Organization is required.',
    );
  });

  it('give each refused field its own sentence, for the error under that field', () => {
    // As the auth service answers an empty name with a short password: both at once.
    const err = invalid(['password', 'must be at least 8 characters'], ['displayName', 'is required']);
    expect(fieldErrorText(err, 'displayName', SIGN_UP_LABELS)).toBe('Your name is required.');
    expect(fieldErrorText(err, 'password', SIGN_UP_LABELS)).toBe('Password must be at least 8 characters.');
    expect(fieldErrorText(err, 'email', SIGN_UP_LABELS)).toBeUndefined();
    // The summary above the form follows the form's order, not the server's.
    expect(errorText(err, SIGN_UP_LABELS)).toBe(
      'Your name is required. Password must be at least 8 characters.',
    );
  });

  it("word the password policy's refusal as a sentence about the Password field", () => {
    const err = new ApiError(400, 'Password refused', undefined, [
      { field: 'password', message: 'is too common; choose a less predictable password' },
    ]);
    expect(errorText(err, SIGN_UP_LABELS)).toBe(
      'Password is too common; choose a less predictable password.',
    );
  });

  it('never show a field name the form does not label', () => {
    const err = invalid(['', 'Unrecognized key: "nickname"'], ['displayName', 'is required']);
    const text = errorText(err, SIGN_UP_LABELS);
    expect(text).toBe(`${UNLABELLED_FIELD_TEXT} Your name is required.`);
    expect(text).not.toContain('nickname');
  });
});

describe('field errors on the other forms', () => {
  it('use the labels of the invitation sign-up, sign-in and reset forms', () => {
    expect(errorText(invalid(['displayName', 'is required']), INVITATION_SIGN_UP_LABELS)).toBe(
      'Your name is required.',
    );
    expect(errorText(invalid(['token', 'is too long']), INVITATION_SIGN_UP_LABELS)).toBe(
      'The invitation link is too long.',
    );
    expect(errorText(invalid(['email', 'must be an e-mail address']), SIGN_IN_LABELS)).toBe(
      'E-mail must be an e-mail address.',
    );
    expect(errorText(invalid(['password', 'must be at least 8 characters']), RESET_CONFIRM_LABELS)).toBe(
      'New password must be at least 8 characters.',
    );
  });

  it('keep the server message for errors about no field', () => {
    const err = new ApiError(409, 'An account with this e-mail address exists', 'email_taken', []);
    expect(errorText(err, SIGN_UP_LABELS)).toBe('An account with this e-mail address exists');
  });
});
