// Issue 3 acceptance, browser interop: headless Chromium with the fake camera publishes simulcast
// VP8 + Opus through the SFU, and a second Chromium page decodes it (framesDecoded from getStats,
// read in the page).
import type { Browser, Page } from 'playwright-core';
import type { TransportKind } from '../../sfu/src/media/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { pollPage } from '../lib/wait.js';
import { startMediaCoreHarness, type MediaCoreHarness } from './mediaCoreHarness.js';

interface PageStats {
  framesDecoded: number;
  framesSent: number;
  width: number;
  pub: string;
  sub: string;
  joinToFirstFrameMs: number | null;
}

declare global {
  interface Window {
    origoTest: {
      publish(): Promise<void>;
      subscribe(): Promise<void>;
      stats(): Promise<PageStats>;
      close(): void;
    };
  }
}

const DEADLINE = 60_000;
let harness: MediaCoreHarness | undefined;
let browser: Browser | undefined;

const TRANSPORTS: TransportKind[] =
  process.env.SFU_TRANSPORT === 'werift' || process.env.SFU_TRANSPORT === 'ndc'
    ? [process.env.SFU_TRANSPORT]
    : ['werift', 'ndc'];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function openPage(peer: string): Promise<Page> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${peer}] page error: ${e.message}`));
  await page.goto(`${harness!.url}/?peer=${peer}`);
  await page.waitForFunction(() => window.origoTest !== undefined, undefined, { timeout: DEADLINE });
  return page;
}

describe.each(TRANSPORTS)('browser interop through the SFU on %s', (transport) => {
  beforeAll(async () => {
    harness = await startMediaCoreHarness(transport);
  });

  afterAll(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('a Chromium page decodes the simulcast camera another Chromium page publishes', async () => {
    const publisher = await openPage('alice');
    const viewer = await openPage('bob');
    await viewer.evaluate(() => window.origoTest.subscribe());
    await publisher.evaluate(() => window.origoTest.publish());

    try {
      await pollPage(
        viewer,
        () => window.origoTest.stats(),
        (s) => s.framesDecoded > 10,
        DEADLINE,
        'frames',
      );
    } catch (error) {
      const [p, v] = await Promise.all([
        publisher.evaluate(() => window.origoTest.stats()),
        viewer.evaluate(() => window.origoTest.stats()),
      ]);
      throw new Error(
        `viewer decoded nothing: publisher ${JSON.stringify(p)} viewer ${JSON.stringify(v)} ` +
          `sfu ${JSON.stringify(harness!.router.stats.collect())}`,
        { cause: error },
      );
    }
    const v = await viewer.evaluate(() => window.origoTest.stats());
    expect(v.framesDecoded).toBeGreaterThan(10);
    expect(v.sub).toBe('connected');
    expect(v.width).toBeGreaterThan(0);
    const s = harness!.router.stats.collect();
    expect(s.producers).toBe(2);
    expect(s.consumers).toBe(2);
    await publisher.screenshot({
      path: new URL(`../artifacts/interop-publisher-${transport}.png`, import.meta.url).pathname,
    });
    await viewer.screenshot({
      path: new URL(`../artifacts/interop-viewer-${transport}.png`, import.meta.url).pathname,
    });
    await publisher.evaluate(() => window.origoTest.close());
    await viewer.evaluate(() => window.origoTest.close());
    await publisher.context().close();
    await viewer.context().close();
  });
});
