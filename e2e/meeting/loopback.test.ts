// Two people meet on a host whose only network is loopback (an offline laptop, a CI box without a LAN):
// the platform and Chromium run inside a network namespace that has nothing but `lo`
// (loopback.child.ts, started through e2e/lib/netns.ts). Chromium needs --allow-loopback-in-peer-connection
// to gather loopback candidates; the SFU is started with no setting for it and must find 127.0.0.1 itself.
// Skips, saying why, where no network namespace can be created.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loopbackNamespaceUnavailable, runInLoopbackNamespace } from '../lib/netns.js';
import { describePairs } from '../lib/peerConnections.js';
import type { LoopbackMeetingReport } from './loopback.child.js';

const CHILD = fileURLToPath(new URL('./loopback.child.ts', import.meta.url));
/** The child's own deadline; the parent allows it this much and a margin to stop cleanly. */
const CHILD_DEADLINE = 480_000;
const TEST_TIMEOUT = CHILD_DEADLINE + 150_000;

/** The SFU transports under test (SFU_TRANSPORT narrows to one). */
const TRANSPORTS = ['werift', 'ndc'].filter(
  (t) =>
    process.env['SFU_TRANSPORT'] === undefined ||
    process.env['SFU_TRANSPORT'] === '' ||
    process.env['SFU_TRANSPORT'] === t,
);

const unavailable = loopbackNamespaceUnavailable();
if (unavailable !== undefined) console.warn(`[e2e loopback] skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('a meeting on a host with only loopback', () => {
  beforeAll(() => {
    mkdirSync(new URL('../artifacts/', import.meta.url), { recursive: true });
  });

  it.each(TRANSPORTS)(
    'two people in Chromium see and hear each other through an SFU on %s that was told nothing about it',
    async (transport) => {
      const run = await runInLoopbackNamespace(
        CHILD,
        {
          PATH: process.env['PATH'],
          HOME: process.env['HOME'],
          CI: process.env['CI'],
          CHROMIUM_PATH: process.env['CHROMIUM_PATH'],
          E2E_LOG_LEVEL: process.env['E2E_LOG_LEVEL'],
          SFU_TRANSPORT: transport,
          E2E_CHILD_DEADLINE_MS: String(CHILD_DEADLINE),
        },
        CHILD_DEADLINE + 30_000,
      );
      const report = run.result as LoopbackMeetingReport | undefined;
      const context = `exit ${run.code ?? run.signal}; report ${JSON.stringify(report)}\nstderr:\n${run.stderr.slice(-6000)}`;
      expect(report, context).toBeDefined();
      expect(report!.error, context).toBeUndefined();
      expect(report!.ok, context).toBe(true);
      expect(run.code, context).toBe(0);

      console.log(
        `[e2e loopback] ${transport}: ${report?.seconds ?? '?'} s in the namespace, steps at ${JSON.stringify(report?.steps)}, ` +
          `${/cleaned up at [\d.]+ s/.exec(run.stderr)?.[0] ?? 'clean-up not reported'}; ` +
          `host pairs ${describePairs(report?.pairs?.host)}; guest pairs ${describePairs(report?.pairs?.guest)}`,
      );

      // The namespace had loopback only, so whatever carried the media was loopback.
      expect(
        report!.addresses.every((a) => /^lo (127\.0\.0\.1|::1)$/.test(a)),
        context,
      ).toBe(true);

      // Each saw the other's camera: the video on top of the tile, with frames advancing.
      for (const seen of [report!.seen!.hostSeesGuest, report!.seen!.guestSeesHost]) {
        expect(seen.onTop, context).toBe(true);
        expect(seen.presented, context).toBeGreaterThanOrEqual(10);
        expect(seen.width, context).toBeGreaterThan(0);
      }

      // Each browser's publisher and subscriber connection to the SFU: host candidates on 127.0.0.1.
      for (const pairs of [report!.pairs!.host, report!.pairs!.guest]) {
        expect(pairs.filter((p) => p.connectionState === 'connected').length, context).toBe(2);
        for (const pair of pairs) {
          expect(pair.local, context).toMatchObject({ type: 'host', address: '127.0.0.1' });
          expect(pair.remote, context).toMatchObject({ address: '127.0.0.1' });
        }
      }
    },
    TEST_TIMEOUT,
  );
});
