import { Navigate, Route, Router, useNavigate, type RouteSectionProps } from '@solidjs/router';
import { createEffect, Show, type JSX } from 'solid-js';
import { Shell } from './components/Shell.js';
import { SignOutWatch } from './components/SignOutWatch.js';
import { AccountPage } from './pages/AccountPage.js';
import { AdminPage } from './pages/admin/AdminPage.js';
import { DashboardPage } from './pages/DashboardPage.js';
import { EndedPage } from './pages/EndedPage.js';
import { JoinPage } from './pages/JoinPage.js';
import { NotificationSettingsPage } from './pages/NotificationSettingsPage.js';
import { ResetPasswordPage, VerifyEmailPage } from './pages/ResetPages.js';
import { SignInPage } from './pages/SignInPage.js';
import { SignUpPage } from './pages/SignUpPage.js';
import { RecordingLinkPage } from './pages/RecordingLinkPage.js';
import { RecordingsPage } from './pages/RecordingsPage.js';
import { TranscriptPage } from './pages/TranscriptPage.js';
import { UnsubscribePage } from './pages/UnsubscribePage.js';
import { SessionProvider, useSession } from './session.js';

function Home(): JSX.Element {
  const { me } = useSession();
  return (
    <Show when={!me.loading} fallback={<p class="muted center">Loading</p>}>
      <Navigate href={me() ? '/dashboard' : '/sign-in'} />
    </Show>
  );
}

/** Pages that need an account send signed-out visitors to sign in and back. */
function RequireUser(props: RouteSectionProps): JSX.Element {
  const { me } = useSession();
  const navigate = useNavigate();
  createEffect(() => {
    if (!me.loading && me() === null) {
      const next = props.location.pathname + props.location.search;
      navigate(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true });
    }
  });
  return (
    <Show when={me()} fallback={<p class="muted center">Loading</p>}>
      {props.children}
    </Show>
  );
}

export function App(): JSX.Element {
  return (
    <SessionProvider>
      <Router
        root={(p) => (
          <Shell>
            <SignOutWatch />
            {p.children}
          </Shell>
        )}
      >
        <Route path="/" component={Home} />
        <Route path="/sign-in" component={SignInPage} />
        <Route path="/sign-up" component={SignUpPage} />
        <Route path="/reset-password" component={ResetPasswordPage} />
        <Route path="/verify-email" component={VerifyEmailPage} />
        <Route path="/join/:id" component={JoinPage} />
        <Route path="/ended" component={EndedPage} />
        <Route path="/unsubscribe" component={UnsubscribePage} />
        <Route path="/recording-link" component={RecordingLinkPage} />
        <Route path="/" component={RequireUser}>
          <Route path="/dashboard" component={DashboardPage} />
          <Route path="/meetings/:id/chat" component={TranscriptPage} />
          <Route path="/meetings/:id/recordings" component={RecordingsPage} />
          <Route path="/admin" component={AdminPage} />
          <Route path="/settings/notifications" component={NotificationSettingsPage} />
          <Route path="/account" component={AccountPage} />
        </Route>
        <Route path="*" component={() => <p class="center">This page does not exist.</p>} />
      </Router>
    </SessionProvider>
  );
}
