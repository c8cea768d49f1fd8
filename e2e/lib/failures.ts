// What each open page showed when a test failed: a screenshot beside the run's other artifacts and the
// start of its visible text in the log, so a CI failure can be read without running it again.
import type { Page } from 'playwright-core';

/** Screenshots to `<prefix><label>.png` and logs the text of every page still open. */
export async function showPagesAtFailure(
  prefix: string,
  pages: ReadonlyArray<{ label: string; page: Page }>,
): Promise<void> {
  for (const { label, page } of pages) {
    if (page.isClosed()) continue;
    await page.screenshot({ path: `${prefix}${label}.png` }).catch(() => undefined);
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 800)}`);
  }
}
