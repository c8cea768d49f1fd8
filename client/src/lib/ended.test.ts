import { describe, expect, it } from 'vitest';
import {
  endedText,
  meetingIsOver,
  rejoinableMeeting,
  returnPath,
  signedOutCode,
  signedOutText,
} from './ended.js';

describe('endedText', () => {
  it('says an administrator ended a meeting an administrator ended, and the host for a host', () => {
    expect(endedText('admin_ended', null).detail).toBe(
      'An administrator of the organization ended the meeting for everyone.',
    );
    expect(endedText('room_ended', null).detail).toBe('The host ended the meeting for everyone.');
    // The host who ended it reads that they did; only the tab's history state says so, never the address.
    expect(endedText('room_ended', { by: 'you' }).detail).toBe('You ended the meeting for everyone.');
    expect(endedText('room_ended', { by: 'someone' }).detail).toBe(
      'The host ended the meeting for everyone.',
    );
    expect(endedText('left', { by: 'you' }).title).toBe('You left the meeting');
    expect(endedText('cancelled', null).title).toBe('The meeting was cancelled');
  });

  it('keeps every ending readable and answers anything else with the plain text, never the input', () => {
    for (const reason of [
      'left',
      'left_lobby',
      'removed',
      'duplicate',
      'gave_up',
      'unauthenticated',
      'room_full',
    ])
      expect(endedText(reason, null).title).not.toBe('The meeting has ended');
    for (const reason of ['<b>you were hacked</b>', 'toString', '__proto__', ''])
      expect(endedText(reason, null)).toEqual({
        title: 'The meeting has ended',
        detail: 'The connection to the meeting closed.',
      });
  });

  it("takes the time limit's plan and minutes from the history state only", () => {
    const text = endedText('time_limit', { limit: '40', plan: 'Free' });
    expect(text.title).toBe("The meeting ended at its plan's time limit");
    expect(text.detail).toContain('The Free plan of the host');
    expect(text.detail).toContain('up to 40 minutes');
    expect(text.detail).toContain(
      'which the operator of this Origo installation sets in Admin, Plan and usage.',
    );
    const bare = endedText('time_limit', null);
    expect(bare.detail).toContain("The plan of the host's organization limits how long a meeting can last");
    expect(endedText('time_limit', { limit: 40, plan: ['x'] }).detail).toBe(bare.detail);
  });

  it('offers no Rejoin once the meeting is over, and only for a meeting id', () => {
    expect(['room_ended', 'admin_ended', 'cancelled', 'time_limit'].every(meetingIsOver)).toBe(true);
    expect(meetingIsOver('left')).toBe(false);
    expect(rejoinableMeeting('mtg_abc-DEF_123')).toBe('mtg_abc-DEF_123');
    expect(rejoinableMeeting('../admin')).toBeUndefined();
    expect(rejoinableMeeting('a b')).toBeUndefined();
  });
});

describe('signed-out wording', () => {
  it('names the administrator for a forced sign-out and a disabled account, nothing otherwise', () => {
    expect(signedOutText(signedOutCode('forced_sign_out'))).toBe(
      'An administrator signed you out. Sign in again to continue.',
    );
    expect(signedOutText(signedOutCode('account_disabled'))).toMatch(/disabled your account/);
    expect(signedOutText(signedOutCode('password_change'))).toMatch(
      /^The password of your account was changed/,
    );
    expect(signedOutCode(null)).toBeUndefined();
    expect(signedOutText('anything else')).toBeUndefined();
  });
});

describe('returnPath', () => {
  it('drops the one-time welcome and keeps everything else', () => {
    expect(returnPath('/dashboard', '?joined=org_1')).toBe('/dashboard');
    expect(returnPath('/admin', '?tab=users&joined=org_1')).toBe('/admin?tab=users');
    expect(returnPath('/m/abc', '')).toBe('/m/abc');
  });
});
