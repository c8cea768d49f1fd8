// Leaves a page promptly when its session ends elsewhere: auth holds one request per signed-in tab
// (GET /api/auth/session/wait) and answers it when the session ends, so a tab an administrator signed out
// shows the sign-in page saying so within moments, not at its next request. In a meeting, signaling's
// leave notice does the same; whichever comes first takes the tab to the sign-in page.
import { useLocation, useNavigate } from '@solidjs/router';
import { createEffect, on, onCleanup, type JSX } from 'solid-js';
import { ApiError } from '../api/http.js';
import { sessionApi, sessionRenewed } from '../api/session.js';
import { returnPath, signedOutCode } from '../lib/ended.js';
import { useSession } from '../session.js';

/** After a network failure (the server restarting), ask again after this long. */
const RETRY_MS = 5000;

export function SignOutWatch(): JSX.Element {
  const { me, refresh } = useSession();
  const navigate = useNavigate();
  const location = useLocation();

  /** The session ended: true when this tab is still signed in afterwards (a new session), so watch on. */
  const ended = async (reason: string | null): Promise<boolean> => {
    const code = signedOutCode(reason);
    // A password change from this browser ended the old session and answers with a new one: once that
    // answer is here, this tab is still signed in. On another device the change signs it out, with words.
    // Asked without touching the page's session, which a page needing an account would act on first.
    if (code === 'password') {
      await sessionRenewed();
      const now = await sessionApi.current().catch(() => null);
      if (now !== null) {
        await refresh().catch(() => undefined);
        return true;
      }
    }
    // The sign-in page forgets the session when it opens with `signed_out`: forgetting it here, before the
    // navigation has landed, would let a page that needs an account send the visitor to the plain sign-in
    // page first. The meeting page may have taken the tab there already (signaling's leave notice).
    if (code !== undefined && location.pathname !== '/sign-in') {
      const next = encodeURIComponent(returnPath(location.pathname, location.search));
      navigate(`/sign-in?signed_out=${code}&next=${next}`, { replace: true });
      return false;
    }
    // This session ended otherwise: signed out in another tab (no words are needed, pages that need an
    // account send the visitor to sign in once the session is gone), or a wait refused while this
    // browser's password change was under way: read who is signed in once its answer is here.
    await sessionRenewed();
    await refresh().catch(() => undefined);
    return me() !== undefined && me() !== null;
  };

  const watch = async (signal: AbortSignal) => {
    while (!signal.aborted) {
      try {
        const answer = await sessionApi.wait(signal);
        if (answer.ended && !(await ended(answer.reason))) return;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.status === 401 && !(await ended(null))) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RETRY_MS);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  };

  createEffect(
    on(
      () => me()?.user.id,
      (userId) => {
        if (userId === undefined) return;
        const stop = new AbortController();
        watch(stop.signal).catch((err: unknown) => console.error('session watch stopped', err));
        onCleanup(() => stop.abort());
      },
    ),
  );
  return null;
}
