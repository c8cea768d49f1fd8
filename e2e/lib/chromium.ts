// Launches Debian's Chromium through playwright-core with fake capture devices (ENVIRONMENT.md).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // getDisplayMedia picks the fake screen without a picker in headless mode.
  '--auto-select-desktop-capture-source=Entire screen',
  // Background tabs must keep decoding: two pages of one browser are both "visible" to the test.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * A fresh headless Chromium with a temporary profile; close it in afterAll. `executablePath` runs it
 * through a wrapper (a network namespace, see netns.ts) that ends by exec-ing CHROMIUM_PATH.
 */
export async function launchChromium(
  extraArgs: readonly string[] = [],
  executablePath: string = CHROMIUM_PATH,
): Promise<Browser> {
  if (!chromiumAvailable()) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  const options: LaunchOptions = {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 60_000,
  };
  return chromium.launch(options);
}
