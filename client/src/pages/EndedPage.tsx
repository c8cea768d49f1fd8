import { A, useSearchParams } from '@solidjs/router';
import { Show, type JSX } from 'solid-js';
import { timeLimitEndedText } from '../lib/timeLimit.js';
import { useSession } from '../session.js';

const TEXT: Record<string, { title: string; detail: string }> = {
  room_ended: { title: 'The meeting has ended', detail: 'The host ended the meeting for everyone.' },
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
  unauthenticated: { title: 'Your access expired', detail: 'Open the meeting link again to rejoin.' },
  room_full: { title: 'The meeting is full', detail: 'Try again later.' },
  room_locked: {
    title: 'The meeting is locked',
    detail: 'A host locked the meeting. Ask a host to unlock it, then rejoin.',
  },
};

export function EndedPage(): JSX.Element {
  const [params] = useSearchParams();
  const { me } = useSession();
  const param = (name: string): string | undefined => {
    const value = params[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const reason = () => param('reason') ?? 'room_ended';
  const meeting = () => param('meeting') ?? '';
  // Rejoining cannot help once the meeting itself is over.
  const over = () => reason() === 'room_ended' || reason() === 'time_limit';
  // A guest who came through an invite link rejoins through it (its token rides in the fragment, which
  // browsers never send to a server); without it the join page would ask for a passcode.
  const inviteFragment = () => {
    const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('invite');
    return token === null ? '' : `#invite=${encodeURIComponent(token)}`;
  };
  const text = () =>
    reason() === 'time_limit'
      ? timeLimitEndedText(param('limit'), param('plan'))
      : (TEXT[reason()] ?? {
          title: 'The meeting has ended',
          detail: 'The connection to the meeting closed.',
        });
  return (
    <section class="card narrow center ended" data-ended-reason={reason()}>
      <h1>{text().title}</h1>
      <p>{text().detail}</p>
      <p class="links">
        <Show when={meeting() !== '' && !over() && reason() !== 'removed'}>
          <A href={`/join/${encodeURIComponent(meeting())}${inviteFragment()}`}>Rejoin</A>
        </Show>
        <Show when={me()} fallback={<A href="/sign-in">Sign in</A>}>
          <A href="/dashboard">Back to meetings</A>
        </Show>
      </p>
    </section>
  );
}
