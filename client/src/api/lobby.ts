// Lobby decisions pushed by long-polling: the server holds each request until something changes, so a
// host's admit reaches the guest (and a knock reaches the host) at once, without a polling interval.
import { ApiError } from './http.js';
import { meetingsApi, type JoinReady, type LobbyEntry } from './meetings.js';

/** Held requests end after this; well under the gateway's 30 s upstream timeout. */
const HOLD_SECONDS = 20;
const MAX_BACKOFF_MS = 15_000;

/** Network trouble and overloaded or restarting servers are worth another try; a refusal is not. */
function retryable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Calls `onChange` with the waiting list now and on every change, until the returned stop function is
 * called. Errors back off (1 s doubling to 15 s) and are reported through `onError`; a refusal (403,
 * 404) stops the watch.
 */
export function watchLobby(
  meetingId: string,
  onChange: (entries: LobbyEntry[]) => void,
  onError: (err: unknown) => void = () => undefined,
): () => void {
  const abort = new AbortController();
  void (async () => {
    let version: string | undefined;
    let backoff = 1000;
    while (!abort.signal.aborted) {
      try {
        const r = await meetingsApi.watchLobby(meetingId, version, HOLD_SECONDS, abort.signal);
        backoff = 1000;
        if (r.version !== version) {
          version = r.version;
          onChange(r.entries);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        onError(err);
        if (!retryable(err)) return;
        await sleep(backoff, abort.signal);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  })();
  return () => abort.abort();
}

/**
 * Resolves with the join token once a host admits the ticket; rejects with the server's ApiError when a
 * host denies it (reason `lobby_denied`) or the meeting ends, and with an AbortError when `signal` fires.
 */
export async function waitForAdmission(
  meetingId: string,
  ticket: string,
  signal: AbortSignal,
): Promise<JoinReady> {
  let backoff = 1000;
  for (;;) {
    if (signal.aborted) throw new DOMException('Stopped waiting in the lobby', 'AbortError');
    try {
      const r = await meetingsApi.waitInLobby(meetingId, ticket, HOLD_SECONDS, signal);
      backoff = 1000;
      if (r.status === 'ready') return r;
    } catch (err) {
      if (signal.aborted || !retryable(err)) throw err;
      await sleep(backoff, signal);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }
}
