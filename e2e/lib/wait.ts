// Waiting on conditions read inside a page. Playwright's waitForFunction treats a returned Promise
// as truthy, so async reads (getStats) are polled from here instead.
import type { Page } from 'playwright-core';

export async function pollPage<T>(
  page: Page,
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await page.evaluate(read);
    if (done(last)) return last;
    if (Date.now() > deadline) {
      const state = await page
        .evaluate(() => (window as { __origoRoom?: { state(): unknown } }).__origoRoom?.state())
        .catch(() => null);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}; room ${JSON.stringify(state)}; url ${page.url()}; text ${(
          await page
            .locator('main')
            .innerText()
            .catch(() => '')
        ).slice(0, 300)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls a condition in Node until it holds. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
