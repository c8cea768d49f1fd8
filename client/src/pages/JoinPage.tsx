import { A, useLocation, useNavigate, useParams } from '@solidjs/router';
import { createResource, createSignal, Match, onCleanup, Show, Switch, type JSX } from 'solid-js';
import { ApiError, errorText } from '../api/http.js';
import { waitForAdmission } from '../api/lobby.js';
import { meetingsApi, type JoinReady, type MeetingPreview } from '../api/meetings.js';
import { deviceKey } from '../lib/deviceKey.js';
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
  // The title and how this visitor gets in, before joining. A link to no meeting (a mistyped or removed
  // one) says so at once; any other failure leaves the form usable: joining reports the real reason.
  const [preview] = createResource(
    () => [params.id, inviteToken(), me()?.user.id ?? ''] as const,
    ([id, token]) =>
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
      if (
        err instanceof ApiError &&
        (err.reason === 'passcode_required' ||
          err.reason === 'wrong_passcode' ||
          err.reason === 'credentials_required')
      ) {
        setNeedPasscode(true);
      }
      setError(joinErrorText(err));
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
      setError(
        err instanceof ApiError && err.reason === 'lobby_denied'
          ? 'A host declined your request to join.'
          : joinErrorText(err),
      );
    }
  };

  const signedOut = () => !me.loading && me() == null;
  const notice = (): JSX.Element | null => {
    if (preview() === 'missing')
      return 'This link leads to no meeting: it may be mistyped, or the meeting was removed. Check the link with the person who sent it.';
    const p = known();
    if (p === null) return null;
    if (p.state === 'ended' || p.state === 'cancelled')
      return p.state === 'ended' ? 'This meeting has ended.' : 'This meeting was cancelled.';
    if (p.invitation === 'invalid')
      return 'This invite link is no longer valid: it expired or was revoked. Ask the host for a new one.';
    if (p.access === 'sign_in') {
      return signedOut() ? (
        <>
          To join, use the invite link from the host, or{' '}
          <A href={`/sign-in?next=${encodeURIComponent(`/join/${params.id}`)}`}>sign in</A> if you belong to
          the meeting's organization.
        </>
      ) : (
        'You are not invited to this meeting. Ask the host for an invite link.'
      );
    }
    return null;
  };

  return (
    <Switch>
      <Match when={step().kind === 'prejoin'}>
        <div class="page">
          <PreJoin
            title={title() ?? known()?.title ?? 'Join the meeting'}
            askName={signedOut()}
            defaultName={me()?.user.displayName ?? lastName()}
            askPasscode={needPasscode() || known()?.access === 'passcode'}
            notice={notice()}
            closed={preview() === 'missing' || known()?.state === 'ended' || known()?.state === 'cancelled'}
            error={error()}
            busy={busy() || me.loading}
            onJoin={(r) => void join(r)}
          />
        </div>
      </Match>
      <Match when={step().kind === 'waiting'}>
        <section class="page">
          <div class="card narrow center lobby-wait" role="status" aria-live="polite">
            <h1>{(step() as { title: string }).title}</h1>
            <p>You are in the lobby. The host has been told you are here and will let you in shortly.</p>
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

function joinErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    switch (err.reason) {
      case 'passcode_required':
        return 'This meeting needs a passcode.';
      case 'wrong_passcode':
        return 'That passcode is not right.';
      case 'credentials_required':
        return 'Sign in, or enter the meeting passcode, to join.';
      case 'meeting_locked':
        return 'The meeting is locked. Ask the host to unlock it.';
      case 'meeting_full':
        return 'The meeting is full.';
      case 'waiting_for_host':
        return 'The host has not started the meeting yet. Try again in a moment.';
      case 'removed_by_host':
        return 'The host removed you from this meeting. You can join again once a host lets you back in.';
      default:
        break;
    }
    if (err.status === 404) return 'This meeting does not exist or was removed.';
  }
  return errorText(err);
}
