// A meeting for people whose network lets media through only a TURN relay: Debian's coturn with
// deploy/coturn's configuration and REST secret, the platform handing out TURN credentials (TURN_URLS,
// TURN_SECRET), and Chromium with `iceTransportPolicy: 'relay'` forced on every peer connection (the
// browser then offers no candidate but coturn's). Checked on the screen (live video, sound) and in the
// browser's own stats (the candidate pair in use is a relay on coturn). Skips without coturn outside CI.
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { coturnSkipReason, startTurnServer, turnStackEnv, type Coturn } from '../lib/coturn.js';
import { describePairs, waitSelectedPairs } from '../lib/peerConnections.js';
import { tile, waitRemoteAudio, waitVideoShown } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { GUEST_NAME, HOST_NAME, TwoPeople } from '../lib/twoPeople.js';

const DEADLINE = 60_000;
/** The whole scenario on a loaded two-core machine: every step has its own deadline within it. */
const SCENARIO_TIMEOUT = 600_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

/** The SFU transports under test (SFU_TRANSPORT narrows to one). */
const TRANSPORTS = ['werift', 'ndc'].filter(
  (t) =>
    process.env['SFU_TRANSPORT'] === undefined ||
    process.env['SFU_TRANSPORT'] === '' ||
    process.env['SFU_TRANSPORT'] === t,
);

const skip = coturnSkipReason();
if (skip !== undefined) console.warn(`[e2e TURN] ${skip}`);

describe.skipIf(skip !== undefined)('a meeting whose media may only go through TURN', () => {
  let coturn: Coturn | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    coturn = await startTurnServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close().catch((e: unknown) => console.error('closing Chromium failed', e));
    await coturn?.stop();
  });

  describe.each(TRANSPORTS)('SFU on %s', (transport) => {
    let stack: Stack | undefined;
    let people: TwoPeople | undefined;

    beforeAll(async () => {
      stack = await startStack({ ...turnStackEnv(coturn!), SFU_TRANSPORT: transport });
    });

    afterEach(async (ctx) => {
      const current = people;
      people = undefined;
      if (ctx.task.result?.state === 'fail' && current !== undefined) {
        for (const { label, page } of current.pages) {
          if (page.isClosed()) continue;
          await page
            .screenshot({ path: `${ARTIFACTS}failed-turn-${transport}-${label}.png` })
            .catch(() => undefined);
          const text = await page
            .locator('body')
            .innerText()
            .catch(() => '');
          console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 600)}`);
        }
        console.error(`coturn log (last 4000 characters):\n${coturn?.log().slice(-4000) ?? ''}`);
      }
      await current?.close();
    });

    afterAll(async () => {
      await stack?.stop();
      stack = undefined;
    });

    it(
      'two people whose browsers may only use TURN see and hear each other through coturn',
      async () => {
        people = new TwoPeople(browser!, stack!.url, { deadlineMs: DEADLINE, forceRelay: true });
        const { host, guest } = await people.meet();

        await waitVideoShown(tile(host, GUEST_NAME), "the host sees the guest's camera", DEADLINE);
        await waitVideoShown(tile(guest, HOST_NAME), "the guest sees the host's camera", DEADLINE);
        await waitRemoteAudio(host, 'the host hears the guest', DEADLINE);
        await waitRemoteAudio(guest, 'the guest hears the host', DEADLINE);

        // What carried it: each browser's publisher and subscriber connection uses a relayed address on
        // coturn (its relay range on 127.0.0.1), reached over UDP.
        const { min, max } = coturn!.relayPorts;
        for (const [who, page] of [
          ['host', host],
          ['guest', guest],
        ] as const) {
          const pairs = await waitSelectedPairs(page, `the ${who}'s connections to the SFU`, DEADLINE);
          console.log(`[e2e TURN] ${transport}, ${who}: ${describePairs(pairs)}`);
          expect(pairs.length, who).toBe(2);
          for (const pair of pairs) {
            const seen = `${who}: ${JSON.stringify(pair)}`;
            expect(pair.local, seen).toMatchObject({
              type: 'relay',
              address: '127.0.0.1',
              relayProtocol: 'udp',
            });
            expect(pair.local!.port, seen).toBeGreaterThanOrEqual(min);
            expect(pair.local!.port, seen).toBeLessThanOrEqual(max);
          }
        }
      },
      SCENARIO_TIMEOUT,
    );
  });
});
