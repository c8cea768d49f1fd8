// What every admin tab needs: which organization the caller administers, whether they are the superadmin,
// and a poller that runs only while its tab is open and the page is visible.
import { createSignal, onCleanup, onMount, type Accessor, type Setter } from 'solid-js';
import { useSession } from '../../session.js';
import { shownOrg } from './shownOrg.js';

export function useAdminScope(): {
  superadmin: () => boolean;
  /** The first organization the caller is an admin of (the first membership for a superadmin without one). */
  adminOrg: () => string | undefined;
  /** Every organization the caller is an admin of, by name, in the order of their memberships. */
  adminOrgs: () => ReadonlyArray<{ id: string; name: string }>;
  myUserId: () => string | undefined;
} {
  const { me, orgId } = useSession();
  return {
    superadmin: () => me()?.user.superadmin === true,
    adminOrg: () => me()?.memberships.find((m) => m.role === 'admin')?.orgId ?? orgId(),
    adminOrgs: () =>
      (me()?.memberships ?? [])
        .filter((m) => m.role === 'admin')
        .map((m) => ({ id: m.orgId, name: m.orgName })),
    myUserId: () => me()?.user.id,
  };
}

/**
 * Calls `tick` now and every `intervalMs` while the component is mounted and the page is visible; a tab
 * that was hidden catches up at once when it shows again. Ticks never overlap.
 */
export function usePolling(tick: () => Promise<void>, intervalMs: number): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), intervalMs);
  };
  const run = async () => {
    if (running || stopped) return;
    if (document.visibilityState === 'hidden') return schedule();
    running = true;
    try {
      await tick();
    } finally {
      running = false;
      schedule();
    }
  };
  const onVisibility = () => {
    if (document.visibilityState === 'visible') void run();
  };
  onMount(() => {
    document.addEventListener('visibilitychange', onVisibility);
    void run();
  });
  onCleanup(() => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  });
}

/**
 * Whose data a tab shows: the superadmin picks any organization (`picked`, '' for their own), an admin of
 * several organizations picks one of theirs, an admin of one always sees theirs. `canPick` says whether
 * the tab offers the choice at all.
 */
export function useShownOrg(): {
  picked: Accessor<string>;
  setPicked: Setter<string>;
  org: () => string | undefined;
  canPick: () => boolean;
} {
  const { superadmin, adminOrg, adminOrgs } = useAdminScope();
  const [picked, setPicked] = createSignal('');
  return {
    picked,
    setPicked,
    org: () => shownOrg(picked(), superadmin(), adminOrgs(), adminOrg()),
    canPick: () => superadmin() || adminOrgs().length > 1,
  };
}
