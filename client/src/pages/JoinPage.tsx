import { A, useLocation, useNavigate, useParams } from '@solidjs/router';
import { createMemo, createResource, createSignal, Match, onCleanup, Show, Switch, type JSX } from 'solid-js';
import { ApiError } from '../api/http.js';
import { waitForAdmission } from '../api/lobby.js';
import { meetingsApi, type JoinReady, type MeetingPreview } from '../api/meetings.js';
import { deviceKey } from '../lib/deviceKey.js';
import {
  asksPasscode,
  inviteProblem,
  joinErrorText,
  joinRefusal,
  refusalText,
  NO_MEETING_TEXT,
  NOT_INVITED_TEXT,
  type JoinRefusal,
} from '../lib/joinErrors.js';
import { ChatLink, RecordingsLink } from '../components/PastMeetings.js';
import { PreJoin, type PreJoinResult } from '../components/PreJoin.js';
import { useSession } from '../session.js';
import { mark, resetMarks } from '../rtc/marks.js';
import { MeetingView } from './MeetingView.js';

type Step = { kind: 'prejoin' } | { kind: 'waiting'; title: string } | { kind: 'meeting'; join: JoinReady };

/** Timestamps read by the end-to-end test: join click to first decoded remote frame. */
export interface JoinMetrics {
  joinClickedAt: number;
  firstRemoteFrameAt: number;
}

declare global {
  interface Window {
    __origoMetrics?: JoinMetrics;
  }
}

const GUEST_NAME_KEY = 'origo.guest-name';

function readGuestName(): string {
  try {
    return sessionStorage.getItem(GUEST_NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function JoinPage(): JSX.Element {
  const params = useParams<{ id: string }>();
  const location = useLocation();
  const navigate = useNavigate();
  const { me } = useSession();
  const [step, setStep] = createSignal<Step>({ kind: 'prejoin' });
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [needPasscode, setNeedPasscode] = createSignal(false);
  // Why pressing Join found the link cannot take this person in (it may have stopped working since the
  // page opened): the page's notice says it, in the preview's words, in place of a second error.
  const [refusal, setRefusal] = createSignal<JoinRefusal | null>(null);
  const [title, setTitle] = createSignal<string | null>(null);
  // The name a guest typed, kept for this tab: the form shown again after a refusal, and Rejoin after
  // leaving, do not ask for it twice.
  const [lastName, setLastNameSignal] = createSignal(readGuestName());
  const setLastName = (name: string) => {
    setLastNameSignal(name);
    try {
      sessionStorage.setItem(GUEST_NAME_KEY, name);
    } catch {
      // Storage blocked: the name lasts as long as the page.
    }
  };
  let media: PreJoinResult | null = null;
  const waiting = new AbortController();
  const inviteToken = () => new URLSearchParams(location.hash.replace(/^#/, '')).get('invite') ?? undefined;
  /**
   * The page after the meeting: a reason code in the address (the page has a text for each), the invite
   * link's token in the fragment for "Rejoin". Details (the plan's cap) go in the history state, so a
   * crafted link cannot put words of its own on the page.
   */
  const endedUrl = (reason: string) => {
    const token = inviteToken();
    const invite = token === undefined ? '' : `#invite=${encodeURIComponent(token)}`;
    const query = new URLSearchParams({ reason, meeting: params.id });
    return `/ended?${query.toString()}${invite}`;
  };
  const ended = (reason: string, details: Record<string, string> = {}) => {
    // An administrator ended this account's sign-in: the sign-in page says so, and leads back here.
    if (reason === 'signed_out') {
      navigate(`/sign-in?signed_out=admin&next=${encodeURIComponent(`/join/${params.id}`)}`, {
        replace: true,
      });
      return;
    }
    navigate(endedUrl(reason), { replace: true, state: details });
  };
  // What the preview is asked for: the meeting, the invite token, and who asks. Read once the session is
  // known (the answer depends on it), and compared by value: a new array for the same three (the session
  // loading, or read again) must not ask again. A source array compared by identity sent the preview twice
  // on every page load, once before the session loaded and once after.
  const previewKey = createMemo<readonly [string, string | undefined, string] | false>(
    () => (me.loading && me() === undefined ? false : [params.id, inviteToken(), me()?.user.id ?? '']),
    false,
    {
      equals: (a, b) =>
        a === b || (a !== false && b !== false && a[0] === b[0] && a[1] === b[1] && a[2] === b[2]),
    },
  );
  // The title and how this visitor gets in, before joining. A link to no meeting (a mistyped or removed
  // one) says so at once; any other failure leaves the form usable: joining reports the real reason.
  const [preview] = createResource(previewKey, ([id, token]) =>
    meetingsApi
      .preview(id, token)
      .catch((err): MeetingPreview | 'missing' | null =>
        err instanceof ApiError && (err.status === 404 || err.status === 400) ? 'missing' : null,
      ),
  );
  const known = (): MeetingPreview | null => {
    const p = preview();
    return p === undefined || p === 'missing' ? null : p;
  };

  onCleanup(() => waiting.abort());

  const stopMedia = () => {
    media?.camera?.stop();
    media?.microphone?.stop();
  };

  const join = async (r: PreJoinResult) => {
    media = r;
    resetMarks();
    mark('join-click');
    setLastName(r.name);
    window.__origoMetrics = { joinClickedAt: performance.now(), firstRemoteFrameAt: 0 };
    setBusy(true);
    setError(null);
    setRefusal(null);
    try {
      const res = await meetingsApi.join(params.id, {
        ...(me() ? {} : { name: r.name }),
        ...(r.passcode ? { passcode: r.passcode } : {}),
        ...(inviteToken() ? { invite_token: inviteToken() } : {}),
        device_key: deviceKey(),
      });
      setTitle(res.meeting.title);
      if (res.status === 'ready') setStep({ kind: 'meeting', join: res });
      else {
        setStep({ kind: 'waiting', title: res.meeting.title });
        void waitInLobby(res.lobby_ticket);
      }
    } catch (err) {
      // Only a meeting that has a passcode asks for one; a link without an invite to a meeting without
      // one needs the invite link or a sign-in, which the notice says.
      if (asksPasscode(err)) setNeedPasscode(true);
      const refused = joinRefusal(err);
      if (refused !== null) setRefusal(refused);
      else setError(joinErrorText(err));
    } finally {
      setBusy(false);
    }
  };

  /** The server answers the held request the moment a host decides. */
  const waitInLobby = async (ticket: string) => {
    try {
      const ready = await waitForAdmission(params.id, ticket, waiting.signal);
      setStep({ kind: 'meeting', join: ready });
    } catch (err) {
      if (waiting.signal.aborted) return;
      stopMedia();
      setStep({ kind: 'prejoin' });
      const refused = joinRefusal(err);
      if (refused !== null) {
        setRefusal(refused);
        return;
      }
      setError(
        err instanceof ApiError && err.reason === 'lobby_denied'
          ? 'A host declined your request to join.'
          : joinErrorText(err),
      );
    }
  };

  const signedOut = () => !me.loading && me() == null;
  const signInHref = () => `/sign-in?next=${encodeURIComponent(`/join/${params.id}`)}`;
  const signInNotice = (): JSX.Element => (
    <>
      To join, use the invite link from the host, or <A href={signInHref()}>sign in</A> if you belong to the
      meeting's organization.
    </>
  );
  /**
   * An invite link that lets nobody in (expired or revoked, or mangled when it was copied): what to do about
   * the link, and for a signed-out visitor the way in that needs no link at all.
   */
  const badLinkNotice = (refused: 'invite_expired' | 'invite_invalid'): JSX.Element => (
    <>
      {refusalText(refused, signedOut())}
      <Show when={signedOut()}>
        {" If you belong to the meeting's organization, "}
        <A href={signInHref()}>sign in</A> to join.
      </Show>
    </>
  );
  /** The preview's word on the invite in the link, when it is what this visitor depends on to get in. */
  const linkProblem = (): 'invite_expired' | 'invite_invalid' | null => {
    const p = known();
    if (p === null || p.access === 'member' || p.access === 'invited') return null;
    return inviteProblem(p.invitation);
  };
  /**
   * Join cannot work from this page as it stands: the notice says why and what to do (ask the host for a
   * link, sign in), so the page offers no Join instead of one that changes nothing when pressed.
   */
  const cannotJoin = (): boolean => {
    if (refusal() !== null || preview() === 'missing') return true;
    const p = known();
    if (p === null) return false;
    return p.state === 'ended' || p.state === 'cancelled' || linkProblem() !== null || p.access === 'sign_in';
  };
  /**
   * What the link opens is not known yet (the preview is on its way): the page waits for it before it
   * turns the camera on, so a link that cannot work never starts the camera, even for a moment.
   */
  const checking = (): boolean => preview.state === 'unresolved' || preview.state === 'pending';
  /** The link's state in one place: what pressing Join found, else what the preview said. */
  const notice = (): JSX.Element | null => {
    const refused = refusal();
    if (refused === 'invite_expired' || refused === 'invite_invalid') return badLinkNotice(refused);
    if (refused !== null)
      return refused === 'sign_in' && signedOut() ? signInNotice() : refusalText(refused, signedOut());
    if (preview() === 'missing') return NO_MEETING_TEXT;
    const p = known();
    if (p === null) return null;
    if (p.state === 'ended' || p.state === 'cancelled')
      return p.state === 'ended' ? 'This meeting has ended.' : 'This meeting was cancelled.';
    const problem = linkProblem();
    if (problem !== null) return badLinkNotice(problem);
    if (p.access === 'sign_in') return signedOut() ? signInNotice() : NOT_INVITED_TEXT;
    return null;
  };

  return (
    <Switch>
      {/* Nothing on this page can take this person in (the meeting is over or was never there, or the link
          lets nobody in): the notice says why and what to do, with no camera preview and no Join. */}
      <Match when={step().kind === 'prejoin' && cannotJoin()}>
        <section class="page">
          <div class="card narrow center">
            <h1>{title() ?? known()?.title ?? 'Meeting'}</h1>
            <p class="notice" role="status">
              {notice()}
            </p>
            <div class="row gap wrap" style={{ 'justify-content': 'center' }}>
              <Show when={known()?.state === 'ended' && !signedOut()}>
                <ChatLink meetingId={params.id} title={known()?.title ?? 'the meeting'} />
                <RecordingsLink meetingId={params.id} title={known()?.title ?? 'the meeting'} />
              </Show>
              <Show when={known()?.state === 'ended' && signedOut()}>
                {/* Its chat and recordings stay with the organization: signing in is the way to them. */}
                <A href={signInHref()} class="button">
                  Sign in
                </A>
              </Show>
              <A href={signedOut() ? '/' : '/dashboard'} class="button">
                {signedOut() ? 'Home' : 'Back to meetings'}
              </A>
            </div>
          </div>
        </section>
      </Match>
      <Match when={step().kind === 'prejoin' && checking()}>
        <section class="page">
          <div class="card narrow center">
            <p class="muted" role="status">
              Opening the meeting link
            </p>
          </div>
        </section>
      </Match>
      <Match when={step().kind === 'prejoin'}>
        <div class="page">
          <PreJoin
            title={title() ?? known()?.title ?? 'Join the meeting'}
            askName={signedOut()}
            defaultName={me()?.user.displayName ?? lastName()}
            askPasscode={needPasscode() || known()?.access === 'passcode'}
            error={error()}
            busy={busy() || me.loading}
            backHref={me() ? '/dashboard' : undefined}
            onJoin={(r) => void join(r)}
          />
        </div>
      </Match>
      <Match when={step().kind === 'waiting'}>
        <section class="page">
          <div class="card narrow center lobby-wait" role="status" aria-live="polite">
            <h1>{(step() as { title: string }).title}</h1>
            <p>
              You are in the lobby. The host has been told you are here; you join as soon as they let you in.
            </p>
            <p class="muted">Keep this page open.</p>
            <button
              type="button"
              onClick={() => {
                waiting.abort();
                stopMedia();
                navigate(endedUrl('left_lobby'));
              }}
            >
              Leave the lobby
            </button>
          </div>
        </section>
      </Match>
      <Match when={step().kind === 'meeting'}>
        <Show when={step().kind === 'meeting' && (step() as { join: JoinReady }).join}>
          {(j) => (
            <MeetingView
              join={j()}
              camera={media?.camera ?? null}
              microphone={media?.microphone ?? null}
              onEnded={ended}
            />
          )}
        </Show>
      </Match>
    </Switch>
  );
}
