// The Account page as a person uses it, in Chromium through the whole platform: opened from their name in
// the header, the display name changed (the header and a new meeting join carry it), the password changed
// after a wrong current password is refused under its field, another signed-in device signed out by the
// change, and signing in again with the new password only; on a laptop and on a phone, by keyboard.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { call, ok } from '../lib/rest.js';
import { faintText } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { signUp, TEST_PASSWORD } from '../lib/signUp.js';
import { showPagesAtFailure } from '../lib/failures.js';

const DEADLINE = 60_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const EMAIL = 'ada@example.com';
const OLD_NAME = 'Ada Byron';
const NEW_NAME = 'Ada King, Countess of Lovelace';
const NEW_PASSWORD = 'engines weave algebraic patterns 1843';

let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pages: Array<{ label: string; page: Page }> = [];
let ada: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  const started = Date.now();
  stack = await startStack();
  console.log(`stack up in ${Date.now() - started} ms`);
  ada = await newPage(LAPTOP, 'ada');
  await signUp(ada, OLD_NAME, EMAIL);
}, 600_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await showPagesAtFailure(`${ARTIFACTS}failed-account-`, pages);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newPage(viewport: { width: number; height: number }, label: string): Promise<Page> {
  const context = await browser!.newContext({ viewport, baseURL: stack!.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  pages.push({ label, page });
  return page;
}

const header = (page: Page): Locator => page.getByRole('navigation', { name: 'Main' });
const nameForm = (page: Page): Locator => page.getByRole('form', { name: 'Your name' });
const passwordForm = (page: Page): Locator => page.getByRole('form', { name: 'Change password' });

/** The message shown under an input, found through the input's aria-describedby. */
async function messageOf(form: Locator, label: string): Promise<string> {
  const input = form.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: DEADLINE }).toBe('true');
  const id = await input.getAttribute('aria-describedby');
  return form.locator(`[id="${id}"]`).innerText();
}

/**
 * What a person would notice on the Account page: sideways scrolling, a card, field or button outside
 * the window or on top of another, a label not tied to its field, text too faint to read.
 */
async function accountLayoutProblems(page: Page): Promise<string[]> {
  const problems = await page.evaluate(() => {
    const found: string[] = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width + 1)
      found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
    const boxes = (selector: string) =>
      [...document.querySelectorAll<HTMLElement>(selector)]
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({ el, r: el.getBoundingClientRect() }));
    const name = (el: HTMLElement) =>
      `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`;
    for (const { el, r } of boxes(
      '.topbar a, .topbar button, .account-card, .account input, .account button',
    )) {
      if (r.left < -0.5 || r.right > width + 0.5)
        found.push(`${name(el)} leaves the window: ${r.left}..${r.right}`);
    }
    const overlap = (a: DOMRect, b: DOMRect) =>
      a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    const cards = boxes('.account-card');
    if (cards.length !== 2) found.push(`${cards.length} cards shown, not 2`);
    for (let i = 0; i < cards.length; i++)
      for (let j = i + 1; j < cards.length; j++)
        if (overlap(cards[i]!.r, cards[j]!.r)) found.push('the two cards overlap');
    const controls = boxes('.account .field, .account button, .account .alert, .account .notice');
    for (let i = 0; i < controls.length; i++)
      for (let j = i + 1; j < controls.length; j++)
        if (overlap(controls[i]!.r, controls[j]!.r))
          found.push(`${name(controls[i]!.el)} and ${name(controls[j]!.el)} overlap`);
    for (const input of document.querySelectorAll<HTMLInputElement>('.account input:not([hidden])')) {
      if (input.labels === null || input.labels.length === 0) found.push(`input ${input.name} has no label`);
    }
    const headerLinks = boxes('.topbar nav > *');
    for (let i = 0; i < headerLinks.length; i++)
      for (let j = i + 1; j < headerLinks.length; j++)
        if (overlap(headerLinks[i]!.r, headerLinks[j]!.r))
          found.push(`${name(headerLinks[i]!.el)} and ${name(headerLinks[j]!.el)} overlap in the header`);
    return found;
  });
  return [...problems, ...(await faintText(page))];
}

async function look(page: Page, file: string): Promise<void> {
  expect(await accountLayoutProblems(page)).toEqual([]);
  await page.screenshot({ path: `${ARTIFACTS}${file}`, fullPage: true });
}

describe('the Account page', () => {
  it('opens from the name in the header and changes the display name everywhere', async () => {
    await header(ada).getByRole('link', { name: OLD_NAME }).click();
    await ada.waitForURL(/\/account$/);
    await ada.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    const email = ada.getByLabel('E-mail', { exact: true });
    expect(await email.inputValue()).toBe(EMAIL);
    expect(await email.getAttribute('readonly')).not.toBeNull();
    expect(await nameForm(ada).getByLabel('Your name', { exact: true }).inputValue()).toBe(OLD_NAME);
    await look(ada, 'account-laptop.png');

    // A blank name is refused under the field, in the sign-up page's words.
    const name = nameForm(ada).getByLabel('Your name', { exact: true });
    await name.fill('   ');
    await nameForm(ada).getByRole('button', { name: 'Save' }).click();
    expect(await messageOf(nameForm(ada), 'Your name')).toBe('Your name is required.');
    // The focus went to the refused field: typing replaces the name, Enter saves it.
    await expect.poll(() => name.evaluate((el) => el === document.activeElement)).toBe(true);
    await ada.keyboard.press('ControlOrMeta+a');
    await ada.keyboard.type(NEW_NAME);
    await ada.keyboard.press('Enter');
    await nameForm(ada).getByRole('status').filter({ hasText: 'Your name is saved.' }).waitFor();
    await header(ada).getByRole('link', { name: NEW_NAME }).waitFor();
    expect(await header(ada).getByRole('link', { name: OLD_NAME }).count()).toBe(0);
    await look(ada, 'account-name-saved-laptop.png');

    // A new meeting join carries the new name, in the answer and in the join token.
    const me = await ok(ada, 'GET', '/api/auth/me');
    expect((me['user'] as { displayName: string }).displayName).toBe(NEW_NAME);
    const orgId = (me['memberships'] as Array<{ orgId: string }>)[0]!.orgId;
    const meeting = await ok(ada, 'POST', '/api/meetings', {
      org_id: orgId,
      title: 'Name check',
      starts_at: new Date(Date.now() + 3_600_000).toISOString(),
      duration_minutes: 30,
      time_zone: 'UTC',
    });
    const join = await ok(ada, 'POST', `/api/meetings/${meeting['id'] as string}/join`, {});
    expect(join['name']).toBe(NEW_NAME);
    const payload = (join['token'] as string).split('.')[1] ?? '';
    expect(Buffer.from(payload, 'base64url').toString('utf8')).toContain(NEW_NAME);
    // The name stays after a reload.
    await ada.reload();
    expect(await nameForm(ada).getByLabel('Your name', { exact: true }).inputValue()).toBe(NEW_NAME);
  });

  it('refuses a wrong current password clearly, then changes it and signs other devices out', async () => {
    // Ada is also signed in on her phone.
    const phone = await newPage(PHONE, 'ada-phone');
    await phone.goto('/sign-in');
    await phone.getByLabel('E-mail').fill(EMAIL);
    await phone.getByLabel('Password').fill(TEST_PASSWORD);
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await phone.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();
    await phone.goto('/account');
    await phone.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    await look(phone, 'account-phone.png');

    const form = passwordForm(ada);
    await form.getByLabel('Current password', { exact: true }).fill('not my password at all');
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    expect(await messageOf(form, 'Current password')).toBe('Current password is wrong.');
    await form.getByRole('alert').filter({ hasText: 'Current password is wrong.' }).waitFor();
    await look(ada, 'account-wrong-password-laptop.png');
    // Nothing changed: the phone is still signed in.
    expect((await call(phone, 'GET', '/api/auth/me')).status).toBe(200);

    // Two different new passwords are caught before anything is sent.
    await form.getByLabel('Current password', { exact: true }).fill(TEST_PASSWORD);
    await form.getByLabel('Confirm new password', { exact: true }).fill(`${NEW_PASSWORD}!`);
    await form.getByRole('button', { name: 'Change password' }).click();
    expect(await messageOf(form, 'Confirm new password')).toBe(
      'Confirm new password does not match the new password.',
    );

    await form.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form
      .getByRole('status')
      .filter({ hasText: 'Your password is changed. Other devices are signed out.' })
      .waitFor();
    expect(await form.getByLabel('Current password', { exact: true }).inputValue()).toBe('');
    await look(ada, 'account-password-changed-laptop.png');
    // This browser stays signed in on the page; the phone was signed out, as the message says.
    expect((await call(ada, 'GET', '/api/auth/me')).status).toBe(200);
    expect(ada.url()).toMatch(/\/account$/);
    await phone.waitForURL(/\/sign-in/);
    await phone
      .getByText('The password of your account was changed, so this device was signed out.')
      .waitFor();
    expect((await call(phone, 'GET', '/api/auth/me')).status).toBe(401);
    // The laptop heard its old session end at the same moment the phone did, and stayed: its session
    // watch waited for the new cookie instead of finding nobody signed in.
    await header(ada).getByRole('link', { name: 'Meetings', exact: true }).click();
    await ada.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();
    expect(ada.url()).not.toMatch(/sign-in/);
  });

  it('signs in with the new password only', async () => {
    await header(ada).getByRole('button', { name: 'Sign out' }).click();
    await ada.waitForURL(/\/sign-in/);
    await ada.getByLabel('E-mail').fill(EMAIL);
    await ada.getByLabel('Password').fill(TEST_PASSWORD);
    await ada.getByRole('button', { name: 'Sign in', exact: true }).click();
    await ada.getByRole('alert').filter({ hasText: 'The e-mail or password is not right.' }).waitFor();

    await ada.getByLabel('Password').fill(NEW_PASSWORD);
    await ada.getByRole('button', { name: 'Sign in', exact: true }).click();
    await ada.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();
    await header(ada).getByRole('link', { name: NEW_NAME }).waitFor();

    // The phone signs in with the new password too, and its Account page fits the small screen.
    const phone = pages.find((p) => p.label === 'ada-phone')!.page;
    await phone.getByLabel('E-mail').fill(EMAIL);
    await phone.getByLabel('Password').fill(NEW_PASSWORD);
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await phone.waitForURL(/\/account$/);
    await phone.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    await header(phone).getByRole('link', { name: NEW_NAME }).waitFor();
    await look(phone, 'account-phone-signed-in-again.png');
  });
});
