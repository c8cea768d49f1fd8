import { A, useLocation, useNavigate } from '@solidjs/router';
import { Show, type JSX } from 'solid-js';
import { authApi } from '../api/auth.js';
import { useSession } from '../session.js';

/** Header and main area; the meeting page takes the whole window instead. */
export function Shell(props: { children?: JSX.Element }): JSX.Element {
  const { me, refresh, isAdmin } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const inMeeting = () => location.pathname.startsWith('/join/');
  const signOut = async () => {
    await authApi.signOut().catch(() => undefined);
    await refresh();
    navigate('/sign-in');
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Show when={!inMeeting()}>
        <header class="topbar">
          <A href="/" class="brand">
            Origo
          </A>
          <nav aria-label="Main">
            <Show
              when={me()}
              fallback={
                <>
                  <A href="/sign-in">Sign in</A>
                  <A href="/sign-up">Sign up</A>
                </>
              }
            >
              <A href="/dashboard">Meetings</A>
              <A href="/settings/notifications">Notifications</A>
              <Show when={isAdmin()}>
                <A href="/admin">Admin</A>
              </Show>
              <A href="/account" class="who" title="Your account">
                {me()?.user.displayName}
              </A>
              <button type="button" class="link" onClick={() => void signOut()}>
                Sign out
              </button>
            </Show>
          </nav>
        </header>
      </Show>
      <main id="main" classList={{ page: !inMeeting(), full: inMeeting() }}>
        {props.children}
      </main>
    </>
  );
}
