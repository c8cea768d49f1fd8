import { A, useParams } from '@solidjs/router';
import {
  createResource,
  createSignal,
  For,
  Match,
  onCleanup,
  onMount,
  Show,
  Switch,
  type JSX,
} from 'solid-js';
import { ApiError, errorText } from '../api/http.js';
import { meetingsApi } from '../api/meetings.js';
import { recordingsApi, type Recording } from '../api/recordings.js';
import { FormError } from '../components/Field.js';
import { formatWhen } from '../lib/time.js';

const when = (iso: string) => formatWhen(iso);

function length(ms: number | null): string {
  if (ms === null) return '';
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return minutes > 0 ? `${minutes} min ${seconds} s` : `${seconds} s`;
}

function size(bytes: number | null): string {
  if (bytes === null) return '';
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}

const STATUS_TEXT: Record<Recording['status'], string> = {
  recording: 'Recording now',
  stopping: 'Being saved',
  ready: 'Ready',
  failed: 'Failed',
};

/** `text` as a sentence: a server's detail often comes without its full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * Why the recordings could not be read, in the server's words, and what the person can do about it: the
 * recording service lets only the meeting's host and the organization's admins see them (403), so anyone
 * else is sent to the host.
 */
function recordingsErrorText(error: unknown): string {
  const message = sentence(errorText(error));
  if (!(error instanceof ApiError)) return `${message} Reload the page to try again.`;
  switch (error.status) {
    case 0:
      // The message already says to check the connection and try again.
      return message;
    case 401:
      return `${message} Sign in again to see the recordings.`;
    case 403:
      return `${message} Ask the meeting's host or an admin of your organization for the recording: they can send you a link to watch it.`;
    case 404:
      return `${message} Check the link, or open the meeting from your list of meetings.`;
    default:
      return error.status >= 500 ? `${message} Reload the page to try again in a moment.` : message;
  }
}

/**
 * A meeting's recordings, for its hosts: each ready one plays here (the browser's own player, seeking by
 * byte ranges) and can be downloaded or deleted. The recording service decides who may see them.
 */
export function RecordingsPage(): JSX.Element {
  const params = useParams<{ id: string }>();
  const [meeting] = createResource(
    () => params.id,
    (id) => meetingsApi.get(id),
  );
  const [recordings, { refetch }] = createResource(
    () => params.id,
    (id) => recordingsApi.list(id),
  );
  /** The list, or undefined while it loads or when it could not be read (reading it then would throw). */
  const list = (): Recording[] | undefined => (recordings.error ? undefined : recordings());
  /** The meeting's title, once known; a meeting that cannot be read leaves the heading general. */
  const title = (): string => (meeting.error ? undefined : meeting()?.title) ?? 'the meeting';
  const [error, setError] = createSignal<string | null>(null);
  const [playing, setPlaying] = createSignal<string | null>(null);
  /**
   * The share link made for a recording, shown under it: `copied` once it is on the clipboard, false when
   * the browser refused the clipboard and the person copies it from the field.
   */
  const [shared, setShared] = createSignal<{
    id: string;
    url: string;
    until: string;
    copied: boolean;
  } | null>(null);
  /** The recording whose link is being made, so a double click makes one link, not two. */
  const [sharing, setSharing] = createSignal<string | null>(null);
  /** The field that shows the share link (one at a time), selected when copying is refused. */
  let shareField: HTMLInputElement | undefined;

  /** Makes a time-limited link to the recording and copies it, as the dashboard copies invite links. */
  const share = async (r: Recording) => {
    if (sharing() !== null) return;
    setSharing(r.id);
    setError(null);
    try {
      const link = await recordingsApi.link(r.id);
      const url = new URL(link.url, location.href).toString();
      const until = when(link.expires_at);
      try {
        await navigator.clipboard.writeText(url);
        setShared({ id: r.id, url, until, copied: true });
      } catch {
        // Clipboard refused (insecure origin, permissions, no clipboard at all): the link is shown
        // selected in its field for the person to copy.
        setShared({ id: r.id, url, until, copied: false });
        shareField?.focus();
        shareField?.select();
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSharing(null);
    }
  };

  const remove = async (r: Recording) => {
    if (!confirm(`Delete the recording of ${when(r.started_at)}? This cannot be undone.`)) return;
    try {
      await recordingsApi.remove(r.id);
      setError(null);
      if (playing() === r.id) setPlaying(null);
      await refetch();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section class="recordings">
      <p>
        <A href="/dashboard">Back to meetings</A>
      </p>
      <h1>Recordings of {title()}</h1>
      <FormError message={error()} />
      <Switch>
        {/* The list could not be read (someone who does not host the meeting, a lost connection): the
            server's reason and the next step, in place of the list. */}
        <Match when={recordings.error}>
          {(failure) => <FormError message={recordingsErrorText(failure())} />}
        </Match>
        <Match when={recordings.loading}>
          <p class="muted">Loading recordings</p>
        </Match>
        <Match when={list()?.length === 0}>
          <p class="muted">This meeting has no recordings. A host starts one with Record in the meeting.</p>
        </Match>
        <Match when={list()}>
          {(items) => (
            <ul class="recording-list" aria-label="Recordings">
              <For each={items()}>
                {(r) => (
                  <li class="card recording-item" data-recording-id={r.id}>
                    <div class="recording-main">
                      <h2>{when(r.started_at)}</h2>
                      <p class="muted">
                        {r.layout === 'tracks' ? 'Each track on its own (archive), ' : ''}
                        {STATUS_TEXT[r.status]}
                        <Show when={r.status === 'ready'}>
                          {' '}
                          - {length(r.duration_ms)}, {size(r.bytes)}
                        </Show>
                        <Show when={r.status === 'failed' && r.error}> - {r.error}</Show>
                      </p>
                      <Show when={r.interrupted && r.status === 'ready'}>
                        <p class="muted">
                          The recorder stopped during this meeting; this is what it had saved until then.
                        </p>
                      </Show>
                    </div>
                    <div class="meeting-actions">
                      <Show when={r.status === 'ready'}>
                        <Show when={r.layout !== 'tracks'}>
                          <button type="button" onClick={() => setPlaying(playing() === r.id ? null : r.id)}>
                            {playing() === r.id ? 'Close player' : 'Play'}
                          </button>
                        </Show>
                        <a class="button" href={recordingsApi.fileUrl(r.id)} download="">
                          Download
                        </a>
                        <button type="button" disabled={sharing() === r.id} onClick={() => void share(r)}>
                          Share link
                        </button>
                      </Show>
                      <Show when={r.status === 'ready' || r.status === 'failed'}>
                        <button type="button" class="danger" onClick={() => void remove(r)}>
                          Delete
                        </button>
                      </Show>
                    </div>
                    <Show when={shared()?.id === r.id ? shared() : null}>
                      {(link) => (
                        <div class="share-link">
                          <span class={link().copied ? 'notice success' : 'notice'} role="status">
                            {link().copied
                              ? `Link copied; it works until ${link().until}. Anyone who has it can watch the recording.`
                              : `Copying is blocked here: the link below is selected, copy it by hand. It works until ${link().until}.`}
                          </span>
                          <label class="sr-only" for={`share-link-${r.id}`}>
                            Share link of the recording of {when(r.started_at)}
                          </label>
                          <input
                            id={`share-link-${r.id}`}
                            ref={(el) => (shareField = el)}
                            type="text"
                            readonly
                            value={link().url}
                            onFocus={(e) => e.currentTarget.select()}
                          />
                        </div>
                      )}
                    </Show>
                    <Show when={playing() === r.id}>
                      <RecordingPlayer recording={r} label={`Recording of ${when(r.started_at)}`} />
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          )}
        </Match>
      </Switch>
    </section>
  );
}

/**
 * Plays a recording: its HLS playlist where there is one (the browser's own HLS, or hls.js over Media
 * Source Extensions), else the MP4 with byte ranges. `data-source` says which, for tests and support.
 */
function RecordingPlayer(props: { recording: Recording; label: string }): JSX.Element {
  let video!: HTMLVideoElement;
  const [source, setSource] = createSignal<'hls' | 'mp4'>('mp4');
  onMount(() => {
    const mp4 = recordingsApi.fileUrl(props.recording.id);
    const hlsUrl = props.recording.hls_url;
    if (hlsUrl === null) {
      video.src = mp4;
      return;
    }
    if (video.canPlayType('application/vnd.apple.mpegurl') !== '') {
      setSource('hls');
      video.src = hlsUrl;
      return;
    }
    let closed = false;
    let destroy: (() => void) | undefined;
    onCleanup(() => {
      closed = true;
      destroy?.();
    });
    import('hls.js').then(
      ({ default: Hls }) => {
        if (closed) return;
        if (!Hls.isSupported()) {
          video.src = mp4;
          return;
        }
        const hls = new Hls();
        destroy = () => hls.destroy();
        setSource('hls');
        hls.loadSource(hlsUrl);
        hls.attachMedia(video);
      },
      () => {
        if (!closed) video.src = mp4;
      },
    );
  });
  return (
    <video
      ref={video}
      class="recording-player"
      data-source={source()}
      controls
      autoplay
      playsinline
      aria-label={props.label}
    />
  );
}
