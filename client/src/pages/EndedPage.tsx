import { A, useLocation, useSearchParams } from '@solidjs/router';
import { Show, type JSX } from 'solid-js';
import { endedText, meetingIsOver, rejoinableMeeting } from '../lib/ended.js';
import { useSession } from '../session.js';

export function EndedPage(): JSX.Element {
  const [params] = useSearchParams();
  const location = useLocation();
  const { me } = useSession();
  const param = (name: string): string | undefined => {
    const value = params[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const reason = () => param('reason') ?? 'room_ended';
  const meeting = () => rejoinableMeeting(param('meeting'));
  // A guest who came through an invite link rejoins through it (its token rides in the fragment, which
  // browsers never send to a server); without it the join page would ask for a passcode.
  const inviteFragment = () => {
    const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('invite');
    return token === null ? '' : `#invite=${encodeURIComponent(token)}`;
  };
  // The reason picks one of our texts; details only the meeting knew come from this tab's history state.
  const text = () => endedText(reason(), location.state);
  return (
    <section class="card narrow center ended" data-ended-reason={reason()}>
      <h1>{text().title}</h1>
      <p>{text().detail}</p>
      <p class="links">
        <Show when={meeting() !== undefined && !meetingIsOver(reason()) && reason() !== 'removed'}>
          <A href={`/join/${encodeURIComponent(meeting() ?? '')}${inviteFragment()}`}>Rejoin</A>
        </Show>
        <Show
          when={me()}
          fallback={
            <>
              <A href="/sign-in">Sign in</A>
              <A href="/sign-up">Sign up to host your own meetings</A>
            </>
          }
        >
          <A href="/dashboard">Back to meetings</A>
        </Show>
      </p>
    </section>
  );
}
