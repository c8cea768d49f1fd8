// Inviting someone without an account, in Chromium through the whole platform: the admin invites from
// the Users tab, the invitation mail lands in the outbox (no SMTP configured: the superadmin reads it in
// the admin area), the link from the mail opens the sign-up page of the organization, and the new
// member lands on the dashboard told where they are. The used link then says so.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { ok } from '../lib/rest.js';
import { startStack, type Stack } from '../lib/stack.js';
import { waitUntil } from '../lib/wait.js';
import { signUp } from '../lib/signUp.js';

const DEADLINE = 60_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };
const ORG = 'Lovelace Labs';
const INVITEE = 'nia@example.com';

let stack: Stack | undefined;
let browser: Browser | undefined;
let contexts: BrowserContext[] = [];
const pages: Array<{ label: string; page: Page }> = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  stack = await startStack();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  for (const { label, page } of pages) {
    if (page.isClosed()) continue;
    await page.screenshot({ path: `${ARTIFACTS}failed-invite-${label}.png` }).catch(() => undefined);
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 600)}`);
  }
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  contexts = [];
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

/** The body of the newest outbox mail to `to`, as the superadmin reads it in the admin area. */
async function mailTo(admin: Page, to: string): Promise<string> {
  let body = '';
  await waitUntil(
    async () => {
      const outbox = await ok(admin, 'GET', '/api/admin/outbox?limit=50');
      const items = outbox['items'] as Array<{ to: string; body: string }>;
      body = items.find((m) => m.to === to)?.body ?? '';
      return body !== '';
    },
    DEADLINE,
    `the invitation mail to ${to} in the outbox`,
  );
  return body;
}

describe('inviting someone without an account', () => {
  it('the admin invites, the link from the mail signs the person up into the organization', async () => {
    // The first account of the installation: the superadmin, and admin of its own organization.
    const admin = await newPage(LAPTOP, 'admin');
    await signUp(admin, 'Ada Admin', 'ada@example.com', ORG);

    await admin.goto('/admin');
    await admin.getByRole('tab', { name: 'Users' }).click();
    const form = admin.getByRole('form', { name: 'Invite a member' });
    await form.getByLabel('E-mail address').fill(INVITEE);
    await form.getByLabel('Role').selectOption('host');
    await form.getByRole('button', { name: 'Invite' }).click();
    await admin
      .getByRole('status')
      .filter({ hasText: `Invitation sent to ${INVITEE}.` })
      .waitFor();
    const pending = admin
      .getByRole('table', { name: 'Pending invitations' })
      .getByRole('row', { name: INVITEE });
    await pending.waitFor();
    expect(await pending.innerText()).toMatch(/Host[\s\S]*Ada Admin/);
    await expect(pending.getByRole('button', { name: `Send again to ${INVITEE}` }).isVisible()).resolves.toBe(
      true,
    );
    await admin.screenshot({ path: `${ARTIFACTS}invite-admin-pending.png` });

    const mail = await mailTo(admin, INVITEE);
    expect(mail).toContain(`Ada Admin invited you to join "${ORG}" on Origo as a host.`);
    const link = /Create your account: (\S+)/.exec(mail)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^${stack!.url}/sign-up#invitation=[a-z2-7]{32}$`));

    // The invitee, in a browser of their own, on a phone.
    const invitee = await newPage(PHONE, 'invitee');
    await invitee.goto(link);
    await invitee.getByRole('heading', { name: `Join ${ORG} on Origo` }).waitFor();
    await invitee.getByText(`Ada Admin invited you to join ${ORG} as a host.`).waitFor();
    expect(await invitee.getByLabel('E-mail').inputValue()).toBe(INVITEE);
    await invitee.getByLabel('Your name').fill('Nia New');
    await invitee.getByLabel('Password', { exact: true }).fill('another long passphrase 7');
    await invitee.screenshot({ path: `${ARTIFACTS}invite-signup-phone.png` });
    await invitee.getByRole('button', { name: 'Create account and join' }).click();
    await invitee.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();
    await invitee
      .getByRole('status')
      .filter({ hasText: `Welcome to ${ORG}. You joined as a host` })
      .waitFor();
    // As a host of the organization they can start a meeting there.
    expect(await invitee.getByRole('button', { name: 'Start an instant meeting' }).isVisible()).toBe(true);
    await invitee.screenshot({ path: `${ARTIFACTS}invite-landed-phone.png` });

    // The link worked once: opened again, it says what happened and what to do.
    const again = await newPage(LAPTOP, 'again');
    await again.goto(link);
    await again.getByRole('heading', { name: 'This invitation was already used' }).waitFor();
    expect(await again.locator('main').getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);

    // The admin sees the new member with the invited role, and no pending invitation left.
    await admin.reload();
    await admin.getByRole('tab', { name: 'Users' }).click();
    const members = admin.getByRole('table', { name: 'Members' });
    await members.getByRole('row', { name: 'Nia New' }).waitFor();
    expect(await members.getByLabel('Role of Nia New').inputValue()).toBe('host');
    await admin
      .getByRole('table', { name: 'Pending invitations' })
      .getByText('No pending invitations.')
      .waitFor();

    // Disabling asks first: Cancel changes nothing, the confirmation does.
    const nia = members.getByRole('row', { name: 'Nia New' });
    await nia.getByRole('button', { name: 'Disable Nia New' }).click();
    const ask = nia.getByRole('group', { name: /^Disable Nia New\?/ });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await nia.getByRole('button', { name: 'Disable Nia New' }).waitFor();
    expect(
      await nia
        .getByRole('cell')
        .filter({ hasText: /^(Active|Disabled)$/ })
        .innerText(),
    ).toBe('Active');
    await nia.getByRole('button', { name: 'Disable Nia New' }).click();
    await admin.screenshot({ path: `${ARTIFACTS}invite-admin-confirm-disable.png` });
    await ask.getByRole('button', { name: 'Disable Nia New' }).click();
    // The row is drawn again; the focus goes to what happened.
    await admin
      .getByRole('status')
      .filter({ hasText: 'Nia New is disabled: signed out everywhere, and cannot sign in until enabled.' })
      .waitFor();
    expect(await admin.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(
      /^Nia New is disabled/,
    );
    await nia
      .getByRole('cell')
      .filter({ hasText: /^Disabled$/ })
      .waitFor();
    await nia.getByRole('button', { name: 'Enable Nia New' }).waitFor();

    // Withdrawing an invitation asks first too; once withdrawn it is no longer pending.
    const other = 'someone.else@example.com';
    await form.getByLabel('E-mail address').fill(other);
    await form.getByRole('button', { name: 'Invite' }).click();
    const row = admin.getByRole('table', { name: 'Pending invitations' }).getByRole('row', { name: other });
    await row.waitFor();
    // The search narrows the pending invitations as well as the members.
    const search = admin.getByRole('search');
    await search.getByLabel('Search users').fill('nobody.here');
    await search.getByRole('button', { name: 'Search' }).click();
    await admin
      .getByRole('table', { name: 'Pending invitations' })
      .getByText('No pending invitation to an address with "nobody.here".')
      .waitFor();
    await search.getByLabel('Search users').fill('someone');
    await search.getByRole('button', { name: 'Search' }).click();
    await row.getByRole('button', { name: `Withdraw the invitation of ${other}` }).click();
    await row
      .getByRole('group', {
        name: new RegExp(`^Withdraw the invitation of ${other.replace(/\./g, '\\.')}\\?`),
      })
      .getByRole('button', { name: 'Withdraw invitation' })
      .click();
    await admin
      .getByRole('table', { name: 'Pending invitations' })
      .getByText('No pending invitation to an address with "someone".')
      .waitFor();
  });
});

describe('links and forms that do not work, as a person meets them', () => {
  it('the sign-up page names a field the way the form labels it', async () => {
    const page = await newPage(LAPTOP, 'signup-errors');
    await page.goto('/sign-up');
    await page.getByLabel('E-mail').fill('nameless@example.com');
    await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase 42');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your name is required.' }).waitFor();
    // Under the field too, tied to it for screen readers.
    const described = await page.getByLabel('Your name').getAttribute('aria-describedby');
    expect(await page.locator(`[id="${described}"]`).innerText()).toBe('Your name is required.');
    expect(await page.locator('body').innerText()).not.toMatch(/displayName|Invalid request/);
    await page.screenshot({ path: `${ARTIFACTS}signup-field-error.png` });
  });

  it('the sign-up page shows every problem at once, each at its field, starting at the first', async () => {
    const page = await newPage(LAPTOP, 'signup-all-errors');
    await page.goto('/sign-up');
    // No name and a password that is too short: one press of the button says both.
    await page.getByLabel('E-mail').fill('two.problems@example.com');
    await page.getByLabel('Password', { exact: true }).fill('short1');
    await page.getByRole('button', { name: 'Create account' }).click();
    const nameError = 'Your name is required.';
    const passwordError = 'Password must be at least 8 characters.';
    await page
      .getByRole('alert')
      .filter({ hasText: `${nameError} ${passwordError}` })
      .waitFor();
    for (const [label, text] of [
      ['Your name', nameError],
      ['Password', passwordError],
    ] as const) {
      const input = page.getByLabel(label, { exact: true });
      expect(await input.getAttribute('aria-invalid'), label).toBe('true');
      const described = await input.getAttribute('aria-describedby');
      const error = page.locator(`[id="${described}"]`);
      expect(await error.innerText(), label).toBe(text);
      expect(await error.isVisible(), label).toBe(true);
    }
    expect(await page.getByLabel('E-mail').getAttribute('aria-invalid')).toBeNull();
    // The person starts at the first field to fix.
    expect(await page.getByLabel('Your name').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}signup-all-errors.png` });

    // Fixing both is enough: nothing new turns up, and the account is made. A field's error goes away as
    // soon as it is edited (and the summary above the form with it); the other field keeps its own until
    // it is edited too.
    await page.getByLabel('Your name').fill('Tam Two');
    expect(await page.getByLabel('Your name').getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('.field .error').allInnerTexts()).toEqual([passwordError]);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase 42');
    expect(await page.locator('.field .error').count()).toBe(0);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();
  });

  it('an invite link that stops working says so once, in the same words, before and after Join', async () => {
    const host = await newPage(LAPTOP, 'links-host');
    await signUp(host, 'Hana Host', 'hana@example.com', 'Hopper Hall');
    const meeting = await ok(host, 'POST', '/api/meetings', {
      title: 'Link check',
      kind: 'instant',
      lobby_enabled: false,
    });
    const meetingId = String(meeting['id']);
    const issue = async () => ok(host, 'POST', `/api/meetings/${meetingId}/invite-links`, {});
    const revoke = async (linkId: unknown) =>
      ok(host, 'DELETE', `/api/meetings/${meetingId}/invite-links/${String(linkId)}`);
    const INVALID =
      'This invite link is no longer valid: it expired or was revoked. Ask the host for a new one.';
    const MANGLED =
      'This invite link is not valid: part of it may be missing or changed. Check that you copied the whole link, or ask the host for a new one.';
    /** The join page's own sign-in, which comes back to this meeting: the way in for its organization. */
    const signInLink = (page: Page) =>
      page
        .getByRole('link', { name: 'sign in', exact: true })
        .and(page.locator(`[href*="join%2F${meetingId}"]`));

    // Revoked before the page opens: the page says it and offers no Join that could only fail.
    const first = await issue();
    await revoke(first['id']);
    const guest = await newPage(PHONE, 'links-guest');
    await guest.goto(String(first['invite_url']));
    await guest.getByText(INVALID).waitFor();
    // Nothing on the page can take the guest in: no Join, no name to type, and the camera stays off.
    expect(await guest.getByRole('button', { name: 'Join meeting' }).count()).toBe(0);
    expect(await guest.getByLabel('Your name').count()).toBe(0);
    expect(await guest.getByLabel('Your camera preview').count()).toBe(0);
    expect(await guest.getByText(INVALID).count()).toBe(1);
    expect(await guest.getByText(/not valid for this meeting/).count()).toBe(0);
    expect(await guest.getByRole('alert').count()).toBe(0);
    await signInLink(guest).waitFor();

    // A working link cut short when it was copied (a chat that wrapped it, a missed character): not called
    // expired, which would send the person to ask for a new link that they may well already have.
    const whole = String((await issue())['invite_url']);
    const mangled = await newPage(PHONE, 'links-mangled');
    await mangled.goto(whole.slice(0, -6));
    await mangled.getByText(MANGLED).waitFor();
    expect(await mangled.getByText(/expired|revoked/).count()).toBe(0);
    expect(await mangled.getByText(MANGLED).count()).toBe(1);
    await signInLink(mangled).waitFor();
    expect(await mangled.getByRole('button', { name: 'Join meeting' }).count()).toBe(0);
    expect(await mangled.getByLabel('Your camera preview').count()).toBe(0);
    expect(await mangled.getByRole('alert').count()).toBe(0);
    await mangled.screenshot({ path: `${ARTIFACTS}invite-link-mangled.png` });
    // The whole link, copied again, lets the person in.
    await mangled.goto('about:blank');
    await mangled.goto(whole);
    await mangled.getByRole('heading', { name: 'Link check' }).waitFor();
    expect(await mangled.getByText(MANGLED).count()).toBe(0);

    // Revoked between opening the page and pressing Join: the same words, once.
    const second = await issue();
    const late = await newPage(PHONE, 'links-late');
    // The page asks what the link opens once per page load, however the session loads around it.
    const previews: string[] = [];
    late.on('request', (r) => {
      if (r.method() === 'POST' && /\/api\/meetings\/[^/]+\/preview$/.test(new URL(r.url()).pathname))
        previews.push(r.url());
    });
    await late.goto(String(second['invite_url']));
    await late.getByRole('heading', { name: 'Link check' }).waitFor();
    await late.waitForLoadState('networkidle');
    expect(previews).toHaveLength(1);
    expect(await late.getByText(INVALID).count()).toBe(0);
    await revoke(second['id']);
    await late.getByLabel('Your name').fill('Lia Late');
    await late.getByRole('button', { name: 'Join meeting' }).click();
    await late.getByText(INVALID).waitFor();
    expect(await late.getByText(INVALID).count()).toBe(1);
    expect(await late.getByRole('alert').count()).toBe(0);
    // The page gives up the Join and the camera it had opened.
    expect(await late.getByRole('button', { name: 'Join meeting' }).count()).toBe(0);
    expect(await late.getByLabel('Your camera preview').count()).toBe(0);
    await signInLink(late).waitFor();
    expect(previews).toHaveLength(1);
    await late.screenshot({ path: `${ARTIFACTS}invite-link-revoked.png` });

    // The meeting link without its invite part: no passcode asked for a meeting that has none.
    const bare = await newPage(PHONE, 'links-bare');
    await bare.goto(`/join/${meetingId}`);
    const SIGN_IN =
      /To join, use the invite link from the host, or sign in if you belong to the meeting's organization\./;
    await bare.getByText(SIGN_IN).waitFor();
    expect(await bare.getByLabel('Meeting passcode').count()).toBe(0);
    expect(await bare.getByRole('button', { name: 'Join meeting' }).count()).toBe(0);
    expect(await bare.getByLabel('Your camera preview').count()).toBe(0);
    expect(await bare.getByText(SIGN_IN).count()).toBe(1);
    expect(await bare.getByLabel('Meeting passcode').count()).toBe(0);
    expect(await bare.locator('body').innerText()).not.toMatch(/passcode/i);
    expect(await bare.getByRole('alert').count()).toBe(0);
    await bare.getByRole('link', { name: 'sign in' }).waitFor();

    // A meeting with a passcode: asking for it is right.
    const locked = await ok(host, 'POST', '/api/meetings', {
      title: 'Passcode check',
      kind: 'instant',
      lobby_enabled: false,
      passcode: 'open1234',
    });
    await bare.goto(`/join/${String(locked['id'])}`);
    await bare.getByLabel('Meeting passcode').waitFor();
  });

  it('a recording link that does not work opens a page saying so, not the API answer', async () => {
    const page = await newPage(LAPTOP, 'recording-link');
    await page.goto(`/api/recordings/rec_${'0'.repeat(32)}/file?expires=99999999999&signature=garbage`);
    await page.getByRole('heading', { name: 'This recording link is not valid' }).waitFor();
    await page.getByText(/ask the person who shared it with you for a new link/).waitFor();
    // Inside the site's own page, with its navigation.
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/[{}"]|signature|Permission denied/);
    expect(new URL(page.url()).pathname).toBe('/recording-link');
    await page.screenshot({ path: `${ARTIFACTS}recording-link-invalid.png` });
  });
});
