// Scheduling from the dashboard as a host does it, in Chromium through the whole platform: a start that has
// already passed is refused next to the date with what to do instead; a pasted title longer than the limit
// is cut to it and the field says so; and a 200-character title with no spaces (a pasted link) wraps on the
// dashboard's card and the pre-join page instead of widening the page, at laptop and phone sizes, with the
// card's buttons on screen. A meeting in another year names its year on the card.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { ok } from '../lib/rest.js';
import { signUp } from '../lib/signUp.js';
import { startStack, type Stack } from '../lib/stack.js';
import { showPagesAtFailure } from '../lib/failures.js';

const DEADLINE = 60_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const PAST_START = 'That time has passed. Pick a later time, or use Start an instant meeting.';
/** A pasted link of 500 characters, no spaces: the field keeps the first 200. */
const PASTED = `https://example.com/${'x'.repeat(480)}`;
const TITLE = PASTED.slice(0, 200);

let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pages: Array<{ label: string; page: Page }> = [];
let host: Page;
let orgId: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  stack = await startStack();
  host = await newPage(LAPTOP, 'host');
  await signUp(host, 'Sam Scheduler', 'sam@example.com', 'Long Titles Inc');
  const me = await ok(host, 'GET', '/api/auth/me');
  orgId = (me['memberships'] as Array<{ orgId: string }>)[0]!.orgId;
}, 600_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await showPagesAtFailure(`${ARTIFACTS}failed-schedule-`, pages);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newPage(
  viewport: { width: number; height: number },
  label: string,
  storageState?: Awaited<ReturnType<BrowserContext['storageState']>>,
): Promise<Page> {
  const context = await browser!.newContext({
    viewport,
    baseURL: stack!.url,
    timezoneId: 'UTC',
    ...(storageState === undefined ? {} : { storageState }),
  });
  await context.grantPermissions(['camera', 'microphone'], { origin: stack!.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  pages.push({ label, page });
  return page;
}

/** What makes the page wider than its window: the document's overflow, and elements past the right edge. */
async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = window.innerWidth;
    const scroll = document.documentElement.scrollWidth;
    if (scroll > width) problems.push(`the page is ${scroll} px wide in a ${width} px window`);
    for (const el of document.querySelectorAll('main *, body > div *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 0.5 && !el.closest('.sr-only'))
        problems.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(r.right)} px`);
    }
    return problems.slice(0, 10);
  });
}

/** Each of the card's buttons and links wholly inside the window. */
async function offScreenActions(page: Page, card: ReturnType<Page['locator']>): Promise<string[]> {
  const viewport = page.viewportSize()!;
  const problems: string[] = [];
  for (const b of await card.locator('.meeting-actions').getByRole('button').all()) {
    const box = await b.boundingBox();
    const name = await b.innerText();
    if (box === null) problems.push(`${name} is not shown`);
    else if (box.x < 0 || box.x + box.width > viewport.width + 0.5)
      problems.push(`${name} at x ${Math.round(box.x)}..${Math.round(box.x + box.width)} leaves the window`);
  }
  return problems;
}

/** The message shown under an input of `form`, found through the input's aria-describedby. */
async function messageOf(form: ReturnType<Page['getByRole']>, label: string): Promise<string> {
  const input = form.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: DEADLINE }).toBe('true');
  const id = await input.getAttribute('aria-describedby');
  return form.locator(`[id="${id}"]`).innerText();
}

describe('scheduling a meeting', () => {
  it('refuses a start that has passed, and says when a title reaches its limit', async () => {
    await host.goto('/dashboard');
    await host.getByRole('button', { name: 'Schedule a meeting' }).click();
    const form = host.getByRole('form', { name: 'Schedule a meeting' });
    const title = form.getByLabel('Title', { exact: true });
    await expect
      .poll(() => form.locator('.field small').first().innerText())
      .toBe('Titles can be up to 200 characters.');
    const noteHeight = await form.locator('.field small').first().boundingBox();

    // A 500-character paste: the field keeps 200 and says that is the most.
    await title.fill(PASTED);
    expect(await title.inputValue()).toBe(TITLE);
    await expect
      .poll(() => form.locator('.field small').first().innerText())
      .toBe('200 of 200 characters (the limit).');
    // The note changes its words in place, on one line: nothing below it moves.
    expect((await form.locator('.field small').first().boundingBox())?.height).toBe(noteHeight?.height);

    await form.getByLabel('Date', { exact: true }).fill('2020-01-01');
    await form.getByLabel('Time', { exact: true }).fill('13:00');
    await form.getByRole('button', { name: 'Schedule', exact: true }).click();
    expect(await messageOf(form, 'Date')).toBe(PAST_START);
    await expect.poll(() => host.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('date');
    await host.screenshot({ path: `${ARTIFACTS}schedule-past-refused-laptop.png` });
    // Nothing was scheduled.
    const listed = await ok(host, 'GET', `/api/meetings?org_id=${orgId}&upcoming=true&limit=100`);
    expect(JSON.stringify(listed)).not.toContain('example.com');

    // Today, an hour ago: said under the time instead.
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    if (hourAgo.getUTCDate() === new Date().getUTCDate()) {
      await form.getByLabel('Date', { exact: true }).fill(hourAgo.toISOString().slice(0, 10));
      await form.getByLabel('Time', { exact: true }).fill(hourAgo.toISOString().slice(11, 16));
      await form.getByRole('button', { name: 'Schedule', exact: true }).click();
      expect(await messageOf(form, 'Time')).toBe(PAST_START);
    }

    // A later day goes through.
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await form.getByLabel('Date', { exact: true }).fill(later);
    await form.getByLabel('Time', { exact: true }).fill('13:00');
    await form.getByRole('button', { name: 'Schedule', exact: true }).click();
    await form.waitFor({ state: 'detached' });
    await host.locator('.meeting-card h3', { hasText: TITLE }).waitFor();
  });

  it('wraps a long title on the dashboard and the pre-join page, at laptop and phone sizes', async () => {
    // A meeting from another year (as the API still takes) names its year on its card.
    await ok(host, 'POST', '/api/meetings', {
      org_id: orgId,
      title: 'Quarterly review',
      starts_at: '2020-01-01T13:00:00Z',
      duration_minutes: 30,
      time_zone: 'UTC',
    });
    const state = await host.context().storageState();
    const phone = await newPage(PHONE, 'phone', state);
    for (const [label, page] of [
      ['laptop', host],
      ['phone', phone],
    ] as const) {
      await page.goto('/dashboard');
      const card = page.locator('.meeting-card', { has: page.locator('h3', { hasText: TITLE }) });
      await card.waitFor();
      // A meeting whose slot is over says so, not as if it were to come.
      await page
        .locator('.meeting-card', { hasText: 'Quarterly review' })
        .filter({ hasText: 'Jan 1, 2020' })
        .filter({ hasText: 'its time has passed: start it now or cancel it' })
        .waitFor();
      expect(await horizontalOverflow(page), label).toEqual([]);
      expect(await offScreenActions(page, card), label).toEqual([]);
      await card.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${ARTIFACTS}schedule-long-title-dashboard-${label}.png` });

      const id = await card.getAttribute('data-meeting-id');
      await page.goto(`/join/${id}`);
      const heading = page.locator('.prejoin-form h1');
      await heading.waitFor();
      expect(await heading.innerText()).toBe(TITLE);
      expect(await horizontalOverflow(page), `${label} pre-join`).toEqual([]);
      const box = (await heading.boundingBox())!;
      const form = (await page.locator('.prejoin-form').boundingBox())!;
      expect(box.x + box.width, `${label} pre-join title inside its card`).toBeLessThanOrEqual(
        form.x + form.width + 0.5,
      );
      await page.screenshot({ path: `${ARTIFACTS}schedule-long-title-prejoin-${label}.png`, fullPage: true });

      // The administration's list of meetings wraps the title in its cell too.
      await page.goto('/admin');
      await page.getByRole('tab', { name: 'Meetings' }).click();
      const row = page.getByRole('row', { name: TITLE });
      await row.waitFor();
      expect(await horizontalOverflow(page), `${label} admin meetings`).toEqual([]);
      const cell = (await row.getByRole('cell').first().boundingBox())!;
      expect(cell.x + cell.width, `${label} admin meetings: the title's cell on screen`).toBeLessThanOrEqual(
        page.viewportSize()!.width + 0.5,
      );
      await page.screenshot({ path: `${ARTIFACTS}schedule-long-title-admin-${label}.png`, fullPage: true });
    }
  });
});
