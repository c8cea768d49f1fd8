// What people see when an administrator acts on a meeting from outside it: a participant whose account an
// administrator signs out leaves the meeting within moments and reads why on the sign-in page (so does
// their other tab); everyone in a room an administrator ends reads that an administrator ended it; and the
// page after a meeting shows only its own words, whatever a link puts in the address.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { ok } from '../lib/rest.js';
import { controls, tile } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { GUEST_NAME, HOST_NAME, TwoPeople } from '../lib/twoPeople.js';
import { signUp, TEST_PASSWORD } from '../lib/signUp.js';

const DEADLINE = 60_000;
const SCENARIO_TIMEOUT = 600_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const SIGNED_OUT = 'An administrator signed you out. Sign in again to continue.';
const ADMIN_ENDED = 'An administrator of the organization ended the meeting for everyone.';

let stack: Stack | undefined;
let browser: Browser | undefined;
/** The first account of the installation, so the platform's superadmin. */
let superadmin: Page | undefined;
let contexts: BrowserContext[] = [];
let people: TwoPeople | undefined;
let pages: Array<{ label: string; page: Page }> = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  stack = await startStack();
  superadmin = await newPage('superadmin');
  await signUp(superadmin, 'Sam Super', 'sam@example.com');
  people = new TwoPeople(browser, stack.url, { deadlineMs: DEADLINE });
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  for (const { label, page } of [...pages, ...(people?.pages ?? [])]) {
    if (page.isClosed()) continue;
    await page.screenshot({ path: `${ARTIFACTS}failed-signout-${label}.png` }).catch(() => undefined);
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 600)}`);
  }
});

afterAll(async () => {
  await people?.close();
  for (const c of contexts) await c.close().catch(() => undefined);
  contexts = [];
  pages = [];
  await browser?.close();
  await stack?.stop();
});

async function newPage(label: string, context?: BrowserContext): Promise<Page> {
  let ctx = context;
  if (ctx === undefined) {
    ctx = await browser!.newContext({ viewport: { width: 1280, height: 720 }, baseURL: stack!.url });
    await ctx.grantPermissions(['camera', 'microphone'], { origin: stack!.url });
    contexts.push(ctx);
  }
  const page = await ctx.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  pages.push({ label, page });
  return page;
}

describe('an administrator acting on a meeting from outside it', () => {
  let host: Page;
  let guest: Page;
  let meetingId: string;

  it(
    'takes a participant an administrator signs out out of the meeting, and the sign-in page says why',
    async () => {
      ({ host, guest } = await people!.meet());
      meetingId = /\/join\/(mtg_[A-Za-z0-9_-]+)/.exec(host.url())?.[1] ?? '';
      expect(meetingId).not.toBe('');
      await tile(guest, HOST_NAME).waitFor();
      // The host's other tab, on the meetings list.
      const list = await newPage('host-list', host.context());
      await list.goto('/dashboard');
      await list.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();

      const found = await ok(superadmin!, 'GET', '/api/admin/users?q=ann%40example.com');
      const ann = (found['items'] as Array<{ id: string; email: string }>).find(
        (u) => u.email === 'ann@example.com',
      );
      expect(ann).toBeDefined();
      const started = Date.now();
      await ok(superadmin!, 'POST', `/api/admin/users/${ann!.id}/sign-out`);

      for (const page of [host, list]) {
        await page.waitForURL(/\/sign-in\?signed_out=admin/);
        await page.getByText(SIGNED_OUT).waitFor();
      }
      console.log(`signed-out tabs showed the sign-in page ${Date.now() - started} ms after the sign-out`);
      expect(await controls(host).count()).toBe(0);
      // The guest sees the host leave.
      await tile(guest, HOST_NAME).waitFor({ state: 'detached' });
      await host.screenshot({ path: `${ARTIFACTS}signed-out-by-admin.png` });

      // Signing in again leads back to the meeting the host was in.
      await host.getByLabel('E-mail').fill('ann@example.com');
      await host.getByLabel('Password').fill(TEST_PASSWORD);
      await host.getByRole('button', { name: 'Sign in', exact: true }).click();
      await host.waitForURL(new RegExp(`/join/${meetingId}`));
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await controls(host).waitFor();
      await tile(guest, HOST_NAME).waitFor();
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'tells everyone in a room an administrator ended that an administrator ended it',
    async () => {
      expect(meetingId).toBeDefined();
      await ok(superadmin!, 'POST', `/api/meetings/${meetingId}/end`);
      for (const page of [host, guest]) {
        await page.waitForURL(/\/ended\?reason=admin_ended/);
        await page.getByRole('heading', { name: 'The meeting has ended' }).waitFor();
        await page.getByText(ADMIN_ENDED).waitFor();
        expect(await page.getByRole('link', { name: 'Rejoin' }).count()).toBe(0);
      }
      await guest.screenshot({ path: `${ARTIFACTS}ended-by-admin-guest.png` });
      expect(await guest.getByText(GUEST_NAME).count()).toBe(0);
    },
    SCENARIO_TIMEOUT,
  );

  it('shows only its own words after a meeting, whatever a link puts in the address', async () => {
    const visitor = await newPage('visitor');
    const errors: string[] = [];
    visitor.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await visitor.goto('/ended?reason=time_limit&plan=Call%200800%20now&limit=99999');
    await visitor.getByRole('heading', { name: "The meeting ended at its plan's time limit" }).waitFor();
    await visitor
      .getByText("The plan of the host's organization limits how long a meeting can last")
      .waitFor();
    expect(await visitor.getByText('Call 0800 now').count()).toBe(0);
    expect(await visitor.getByText('99999').count()).toBe(0);
    await visitor.goto('/ended?reason=Your%20account%20is%20locked&meeting=..%2Fadmin');
    await visitor.getByText('The connection to the meeting closed.').waitFor();
    expect(await visitor.getByText('Your account is locked').count()).toBe(0);
    expect(await visitor.getByRole('link', { name: 'Rejoin' }).count()).toBe(0);
    // A visitor who is not signed in: the page asked who is signed in without a failed request.
    await visitor.getByRole('main').getByRole('link', { name: 'Sign in' }).waitFor();
    expect(errors.filter((e) => /401|Unauthorized/.test(e))).toEqual([]);
  });
});
