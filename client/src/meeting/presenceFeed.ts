// Who of the organization is around, as the presence panel shows it, kept fresh by a heartbeat. Without
// Solid or the DOM, so its order of events is tested under node: the panel only renders the view.
//
// The panel used to start from an empty list, so until the first answer arrived (or whenever the first
// heartbeat failed, or the organization was not known yet) it said "No one is online" although people
// were. Here the view is `loading` until a list was read for the current organization; a refresh that a
// newer one overtook (the page shown again, the organization known) is dropped instead of overwriting a
// newer list; and a failed refresh keeps the last list known, saying that it may be out of date.
import type { MemberPresence } from '../api/presence.js';

export type PresenceView =
  | { status: 'loading' }
  /** `error` is set when the latest refresh failed: `people` is then the last list read. */
  | { status: 'ready'; people: MemberPresence[]; error: string | null }
  /** Nothing could be read yet. */
  | { status: 'failed'; error: string };

export interface PresenceFeedDeps {
  heartbeat: (state: 'online' | 'away') => Promise<{ next_heartbeat_ms: number }>;
  list: (orgId: string | undefined) => Promise<{ items: MemberPresence[] }>;
  hidden: () => boolean;
  errorText: (e: unknown) => string;
  onView: (view: PresenceView) => void;
  /** The longest wait between refreshes (the server may ask for a shorter one). */
  refreshMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface PresenceFeed {
  /** Heartbeat and read the list now (the page was shown or hidden). */
  refresh(): void;
  /** The organization to list; a different one starts again from `loading`. */
  setOrg(orgId: string | undefined): void;
  stop(): void;
}

export const PRESENCE_REFRESH_MS = 20_000;

export function startPresenceFeed(deps: PresenceFeedDeps, orgId: string | undefined): PresenceFeed {
  const refreshMs = deps.refreshMs ?? PRESENCE_REFRESH_MS;
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let org = orgId;
  let view: PresenceView = { status: 'loading' };
  let timer: unknown;
  // Each refresh takes a number; only the newest one may change the view or schedule the next.
  let generation = 0;
  let stopped = false;

  const show = (v: PresenceView) => {
    view = v;
    deps.onView(v);
  };

  const refresh = async (): Promise<void> => {
    if (stopped) return;
    const mine = ++generation;
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
    let next = refreshMs;
    let error: string | null = null;
    // The caller's own heartbeat goes first so the list read after it includes the caller; a failed
    // heartbeat does not keep the others from being listed.
    try {
      next = (await deps.heartbeat(deps.hidden() ? 'away' : 'online')).next_heartbeat_ms;
    } catch (e) {
      error = deps.errorText(e);
    }
    if (stopped || mine !== generation) return;
    let people: MemberPresence[] | null = null;
    try {
      people = (await deps.list(org)).items;
    } catch (e) {
      error = deps.errorText(e);
    }
    if (stopped || mine !== generation) return;
    if (people !== null) show({ status: 'ready', people, error });
    else if (view.status === 'ready') show({ ...view, error });
    else show({ status: 'failed', error: error ?? 'unknown error' });
    timer = setTimer(() => void refresh(), Math.min(Math.max(next, 1_000), refreshMs));
  };

  deps.onView(view);
  void refresh();
  return {
    refresh: () => void refresh(),
    setOrg(orgId) {
      if (orgId === org) return;
      org = orgId;
      show({ status: 'loading' });
      void refresh();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
    },
  };
}
