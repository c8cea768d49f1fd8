// The inside of loopback.test.ts: runs in a network namespace that has only `lo` (e2e/lib/netns.ts
// starts it), starts the platform and Chromium there, lets two people meet, and prints one result line
// (RESULT_PREFIX + JSON) before it exits. Chromium gets --allow-loopback-in-peer-connection (without it
// it gathers no candidate on loopback); the platform gets no setting for this host at all.
// SFU_TRANSPORT chooses the SFU's WebRTC stack.
import { networkInterfaces } from 'node:os';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../lib/chromium.js';
import { RESULT_PREFIX } from '../lib/netns.js';
import { selectedPairs, waitSelectedPairs, type SelectedPair } from '../lib/peerConnections.js';
import { tile, videoShown, waitRemoteAudio, waitVideoShown } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { GUEST_NAME, HOST_NAME, TwoPeople } from '../lib/twoPeople.js';

export interface VideoSeen {
  onTop: boolean;
  presented: number;
  width: number;
  height: number;
}

export interface LoopbackMeetingReport {
  ok: boolean;
  error?: string;
  transport: string;
  /** Every interface address in the namespace, as `name address`. */
  addresses: string[];
  /** Remote video as each person saw it: on top of the tile, frames presented within the deadline. */
  seen?: { hostSeesGuest: VideoSeen; guestSeesHost: VideoSeen };
  /** The candidate pair each connection to the SFU uses, per person. */
  pairs?: { host: SelectedPair[]; guest: SelectedPair[] };
  /** Seconds from the start at which each step was done (a slow machine shows where the time went). */
  steps: Record<string, number>;
  seconds: number;
}

const DEADLINE = 60_000;
/** Whatever happens, a result line and an exit before the parent's own deadline. */
const OVERALL_MS = Number(process.env['E2E_CHILD_DEADLINE_MS'] ?? 300_000);
/** tsx compiles with esbuild's keepNames, whose __name helper would be missing in page functions. */
const KEEP_NAMES_SHIM = 'globalThis.__name = (f) => f;';
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
/** Closing Chromium and stopping the platform on a loaded machine. */
const CLEANUP_MS = 60_000;

const transport = process.env['SFU_TRANSPORT'] || 'ndc';
const addresses = Object.entries(networkInterfaces()).flatMap(([name, list]) =>
  (list ?? []).map((a) => `${name} ${a.address}`),
);
let stack: Stack | undefined;
let browser: Browser | undefined;
let people: TwoPeople | undefined;
let finished = false;
const steps: Record<string, number> = {};
/** Seconds since this process started (so module loading counts). */
const since = (): number => Math.round(process.uptime() * 10) / 10;
const step = (name: string): void => {
  steps[name] = since();
};

async function meet(): Promise<Pick<LoopbackMeetingReport, 'seen' | 'pairs'>> {
  const routable = Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => !a.internal));
  if (routable) throw new Error(`not a loopback-only namespace: ${addresses.join(', ')}`);
  step('loaded');
  stack = await startStack({ SFU_TRANSPORT: transport });
  step('platform');
  browser = await launchChromium(['--allow-loopback-in-peer-connection']);
  step('chromium');
  people = new TwoPeople(browser, stack.url, { deadlineMs: DEADLINE, initScripts: [KEEP_NAMES_SHIM] });
  const { host, guest } = await people.meet();
  step('joined');
  await waitVideoShown(tile(host, GUEST_NAME), "the host sees the guest's camera", DEADLINE);
  await waitVideoShown(tile(guest, HOST_NAME), "the guest sees the host's camera", DEADLINE);
  step('video');
  await waitRemoteAudio(host, 'the host hears the guest', DEADLINE);
  await waitRemoteAudio(guest, 'the guest hears the host', DEADLINE);
  step('audio');
  const hostSeesGuest = await videoShown(tile(host, GUEST_NAME), 10, DEADLINE);
  const guestSeesHost = await videoShown(tile(guest, HOST_NAME), 10, DEADLINE);
  await waitSelectedPairs(host, "the host's connections to the SFU", DEADLINE);
  await waitSelectedPairs(guest, "the guest's connections to the SFU", DEADLINE);
  return {
    seen: { hostSeesGuest, guestSeesHost },
    pairs: { host: await selectedPairs(host), guest: await selectedPairs(guest) },
  };
}

async function cleanUp(failed: boolean): Promise<void> {
  if (failed)
    for (const { label, page } of people?.pages ?? [])
      if (!page.isClosed())
        await page
          .screenshot({ path: `${ARTIFACTS}failed-loopback-${transport}-${label}.png` })
          .catch(() => undefined);
  await people?.close();
  await browser?.close().catch((e: unknown) => console.error('closing Chromium failed', e));
  await stack?.stop().catch((e: unknown) => console.error('stopping the platform failed', e));
}

/** Prints the one result line, cleans up (bounded) and exits; only the first call counts. */
function finish(report: Omit<LoopbackMeetingReport, 'transport' | 'addresses' | 'steps' | 'seconds'>): void {
  if (finished) return;
  finished = true;
  const full: LoopbackMeetingReport = { transport, addresses, steps, seconds: since(), ...report };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(full)}\n`);
  // Exiting ends the namespace and everything in it; the timer only bounds a clean-up that hangs (the
  // parent removes this run's temporary folder in any case).
  setTimeout(() => {
    console.error(`clean-up unfinished after ${CLEANUP_MS} ms; exiting`);
    process.exit(report.ok ? 0 : 1);
  }, CLEANUP_MS).unref();
  cleanUp(!report.ok).finally(() => {
    console.error(`cleaned up at ${since()} s`);
    process.exit(report.ok ? 0 : 1);
  });
}

process.on('SIGTERM', () => finish({ ok: false, error: 'stopped by SIGTERM (the parent test gave up)' }));
process.on('SIGINT', () => finish({ ok: false, error: 'stopped by SIGINT' }));
setTimeout(() => finish({ ok: false, error: `no result within ${OVERALL_MS} ms` }), OVERALL_MS);

meet().then(
  (seen) => finish({ ok: true, ...seen }),
  (err: unknown) =>
    finish({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
);
