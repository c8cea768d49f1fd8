// What the page after a meeting says. The address carries only a reason code (and the meeting id for
// Rejoin), so a crafted link can pick one of these texts and nothing more; what only the ended meeting
// knows (the plan's cap) travels in the tab's history state, which no link can set.
import { timeLimitEndedText } from './timeLimit.js';

export interface EndedText {
  title: string;
  detail: string;
}

const TEXT: Record<string, EndedText> = {
  room_ended: { title: 'The meeting has ended', detail: 'The host ended the meeting for everyone.' },
  admin_ended: {
    title: 'The meeting has ended',
    detail: 'An administrator of the organization ended the meeting for everyone.',
  },
  cancelled: {
    title: 'The meeting was cancelled',
    detail: 'The meeting was cancelled and has ended for everyone.',
  },
  left: {
    title: 'You left the meeting',
    detail: 'You can rejoin with the same link while the meeting is running.',
  },
  left_lobby: { title: 'You left the lobby', detail: 'You can come back with the same link.' },
  removed: {
    title: 'The host removed you from this meeting',
    detail: 'You can join again once a host lets you back in.',
  },
  duplicate: {
    title: 'You joined from another window',
    detail: 'This window was disconnected because you joined elsewhere.',
  },
  gave_up: {
    title: 'The connection was lost',
    detail: 'We could not reconnect. Check your network and rejoin.',
  },
  resume_failed: {
    title: 'The connection was lost',
    detail: 'We could not reconnect. Check your network and rejoin.',
  },
  unauthenticated: { title: 'Your access expired', detail: 'Open the meeting link again to rejoin.' },
  room_full: { title: 'The meeting is full', detail: 'Try again later.' },
  room_locked: {
    title: 'The meeting is locked',
    detail: 'A host locked the meeting. Ask a host to unlock it, then rejoin.',
  },
};

const FALLBACK: EndedText = {
  title: 'The meeting has ended',
  detail: 'The connection to the meeting closed.',
};

/** Endings after which rejoining cannot help: the meeting itself is over. */
const OVER = new Set(['room_ended', 'admin_ended', 'cancelled', 'time_limit']);

/** What the history state of the page after a meeting may carry (see JoinPage). */
export interface EndedState {
  limit?: string;
  plan?: string;
  /** `you`: this person ended the meeting for everyone. */
  by?: string;
}

/**
 * The texts for `reason`; `state` is the tab's history state, read for the time limit and for who ended
 * the meeting.
 */
export function endedText(reason: string, state: unknown): EndedText {
  const s = (typeof state === 'object' && state !== null ? state : {}) as Record<string, unknown>;
  if (reason === 'time_limit') {
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return timeLimitEndedText(text(s['limit']), text(s['plan']));
  }
  if (reason === 'room_ended' && s['by'] === 'you')
    return { title: 'The meeting has ended', detail: 'You ended the meeting for everyone.' };
  return Object.hasOwn(TEXT, reason) ? (TEXT[reason] as EndedText) : FALLBACK;
}

export function meetingIsOver(reason: string): boolean {
  return OVER.has(reason);
}

/** Meeting ids as control issues them (the room-name pattern); anything else gets no Rejoin link. */
export function rejoinableMeeting(id: string | undefined): string | undefined {
  return id !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(id) ? id : undefined;
}

/** What a person whose account is disabled can do about it. */
export const DISABLED_NEXT = 'To use it again, ask an admin of your organization to enable it.';

/**
 * The page to return to after signing in again, from the one a session ended under: without one-time
 * parameters (`joined`, the welcome after joining an organization), which would greet the person again.
 */
export function returnPath(pathname: string, search: string): string {
  const params = new URLSearchParams(search);
  params.delete('joined');
  const rest = params.toString();
  return rest === '' ? pathname : `${pathname}?${rest}`;
}

/** Why the sign-in page is shown after a session ended under a page (`?signed_out=`), in words. */
export function signedOutText(code: string | undefined): string | undefined {
  switch (code) {
    case 'admin':
      return 'An administrator signed you out. Sign in again to continue.';
    case 'disabled':
      return `An administrator disabled your account, so you were signed out. ${DISABLED_NEXT}`;
    case 'password':
      return 'The password of your account was changed, so this device was signed out. Sign in with the new password.';
    default:
      return undefined;
  }
}

/** The `signed_out` code for the reason auth gave when every session of the account ended. */
export function signedOutCode(reason: string | null): 'admin' | 'disabled' | 'password' | undefined {
  if (reason === 'forced_sign_out') return 'admin';
  if (reason === 'account_disabled') return 'disabled';
  if (reason === 'password_change') return 'password';
  return undefined;
}
