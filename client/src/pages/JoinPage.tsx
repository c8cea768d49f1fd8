import { useLocation, useNavigate, useParams } from '@solidjs/router';
import { createSignal, Match, onCleanup, Show, Switch, type JSX } from 'solid-js';
import { ApiError, errorText } from '../api/http.js';
import { meetingsApi, type JoinReady } from '../api/meetings.js';
import { PreJoin, type PreJoinResult } from '../components/PreJoin.js';
import { useSession } from '../session.js';
import { MeetingView } from './MeetingView.js';

type Step =
  | { kind: 'prejoin' }
  | { kind: 'waiting'; ticket: string; interval: number; title: string }
  | { kind: 'meeting'; join: JoinReady };

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

export function JoinPage(): JSX.Element {
  const params = useParams<{ id: string }>();
  const location = useLocation();
  const navigate = useNavigate();
  const { me } = useSession();
  const [step, setStep] = createSignal<Step>({ kind: 'prejoin' });
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [needPasscode, setNeedPasscode] = createSignal(false);
  const [title, setTitle] = createSignal('Join the meeting');
  let media: PreJoinResult | null = null;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  const inviteToken = () => new URLSearchParams(location.hash.replace(/^#/, '')).get('invite') ?? undefined;

  onCleanup(() => clearTimeout(pollTimer));

  const stopMedia = () => {
    media?.camera?.stop();
    media?.microphone?.stop();
  };

  const join = async (r: PreJoinResult) => {
    media = r;
    window.__origoMetrics = { joinClickedAt: performance.now(), firstRemoteFrameAt: 0 };
    setBusy(true);
    setError(null);
    try {
      const res = await meetingsApi.join(params.id, {
        ...(me() ? {} : { name: r.name }),
        ...(r.passcode ? { passcode: r.passcode } : {}),
        ...(inviteToken() ? { invite_token: inviteToken() } : {}),
      });
      setTitle(res.meeting.title);
      if (res.status === 'ready') setStep({ kind: 'meeting', join: res });
      else {
        setStep({
          kind: 'waiting',
          ticket: res.lobby_ticket,
          interval: res.poll_interval_ms,
          title: res.meeting.title,
        });
        poll(res.lobby_ticket, res.poll_interval_ms);
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

  const poll = (ticket: string, interval: number) => {
    pollTimer = setTimeout(
      async () => {
        try {
          const r = await meetingsApi.pollLobby(params.id, ticket);
          if (r.status === 'ready') {
            setStep({ kind: 'meeting', join: r });
            return;
          }
          poll(ticket, r.poll_interval_ms || interval);
        } catch (err) {
          if (err instanceof ApiError && err.status === 0) {
            poll(ticket, interval * 2);
            return;
          }
          stopMedia();
          setStep({ kind: 'prejoin' });
          setError(
            err instanceof ApiError && err.reason === 'lobby_denied'
              ? 'A host declined your request to join.'
              : joinErrorText(err),
          );
        }
      },
      Math.max(1000, interval),
    );
  };

  return (
    <Switch>
      <Match when={step().kind === 'prejoin'}>
        <div class="page">
          <PreJoin
            title={title()}
            askName={!me.loading && me() == null}
            defaultName={me()?.user.displayName ?? ''}
            askPasscode={needPasscode() || (!me.loading && me() == null && inviteToken() === undefined)}
            error={error()}
            busy={busy()}
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
                clearTimeout(pollTimer);
                stopMedia();
                navigate('/ended?reason=left_lobby');
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
              onEnded={(reason) =>
                navigate(
                  `/ended?reason=${encodeURIComponent(reason)}&meeting=${encodeURIComponent(params.id)}`,
                  { replace: true },
                )
              }
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
      default:
        break;
    }
    if (err.status === 404) return 'This meeting does not exist or was removed.';
  }
  return errorText(err);
}
