// The admin area as the installation's operator (the superadmin) and an organization admin use it, in
// Chromium through the whole platform: plans edited and created in Plan and usage with billing's field
// messages next to the inputs, an organization picked by name and moved to a plan, billing's changes and
// another organization's meeting log in the Audit tab, the Outbox on a phone, a host on a plan without
// recording who is told so instead of being offered Record, and an admin making themselves a member.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { ok } from '../lib/rest.js';
import { controls } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { signUp } from '../lib/signUp.js';
import { showPagesAtFailure } from '../lib/failures.js';

const DEADLINE = 60_000;
/**
 * How long the dashboard a person has open may take to show that a meeting ended: the room waits 30 s for a
 * lost connection (or a Leave pressed by mistake) to come back before it ends, and the dashboard re-reads
 * its lists every 5 s while a meeting is live.
 */
const PROMPTLY = 60_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const ORG_NAME = 'Analytical Engines';

let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pages: Array<{ label: string; page: Page }> = [];
/** The first account of the installation, so the platform's superadmin. */
let operator: Page;
/** The admin of their own organization, on the free plan. */
let ada: Page;
let adaOrg: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  const started = Date.now();
  stack = await startStack();
  console.log(`stack up in ${Date.now() - started} ms`);
  operator = await newPage(LAPTOP, 'operator');
  await signUp(operator, 'Otto Operator', 'otto@example.com', 'Operations');
  ada = await newPage(LAPTOP, 'ada');
  await signUp(ada, 'Ada Admin', 'ada@example.com', ORG_NAME);
  const me = await ok(ada, 'GET', '/api/auth/me');
  adaOrg = (me['memberships'] as Array<{ orgId: string }>)[0]!.orgId;
  // Something in Ada's meeting log for the operator to read.
  await ok(ada, 'POST', '/api/meetings', {
    org_id: adaOrg,
    title: 'Board review',
    starts_at: new Date(Date.now() + 86_400_000).toISOString(),
    duration_minutes: 30,
    time_zone: 'UTC',
  });
  console.log(`two accounts and a meeting ready ${Date.now() - started} ms after the start`);
  // The whole platform starts on a shared two-core machine: give it room, without a fixed wait.
}, 600_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await showPagesAtFailure(`${ARTIFACTS}failed-admin-`, pages);
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
  // The browser's clock zone; UTC unless a test reads the dashboard as someone elsewhere.
  timezoneId = 'UTC',
): Promise<Page> {
  const context = await browser!.newContext({
    viewport,
    baseURL: stack!.url,
    timezoneId,
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

async function openTab(page: Page, name: string): Promise<void> {
  await page.goto('/admin');
  await page.getByRole('tab', { name }).click();
}

/** The message shown under an input of `form`, found through the input's aria-describedby. */
async function messageOf(form: ReturnType<Page['getByRole']>, label: string): Promise<string> {
  const input = form.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: DEADLINE }).toBe('true');
  const id = await input.getAttribute('aria-describedby');
  return form.locator(`[id="${id}"]`).innerText();
}

describe('the admin area', () => {
  it('lets the operator edit and create plans, with billing’s messages next to the fields', async () => {
    await openTab(operator, 'Plan and usage');
    const plans = operator.getByRole('table', { name: 'Plans' });
    await plans.getByRole('row', { name: 'Plan Pro' }).waitFor();

    await operator.getByRole('button', { name: 'New plan' }).click();
    const form = operator.getByRole('form', { name: 'New plan' });
    await form.getByLabel('Plan id', { exact: true }).fill('team');
    await form.getByLabel('Name', { exact: true }).fill('Team');
    await form.getByLabel('Participants per meeting', { exact: true }).fill('1');
    await form.getByRole('button', { name: 'Create plan' }).click();
    // Billing refuses fewer than 2 participants; its message sits under that input.
    expect(await messageOf(form, 'Participants per meeting')).toMatch(/2/);
    await form.getByRole('alert').filter({ hasText: 'Invalid request body' }).waitFor();
    await operator.screenshot({ path: `${ARTIFACTS}admin-plan-form-error-laptop.png` });

    await form.getByLabel('Participants per meeting', { exact: true }).fill('25');
    await form.getByLabel('Meeting length in minutes', { exact: true }).fill('120');
    await form.getByRole('button', { name: 'Create plan' }).click();
    await operator.getByRole('status').filter({ hasText: 'Created the Team plan.' }).waitFor();
    const team = plans.getByRole('row', { name: 'Plan Team' });
    await team.waitFor();
    // Lengths of an hour or more read in hours: 120 minutes is "2 h", the Pro plan's 1800 "30 h".
    expect(await team.innerText()).toMatch(/25[\s\S]*2 h[\s\S]*none/);
    expect(await team.locator('td[data-label="Length"]').innerText()).toBe('2 h');
    expect(
      await plans.getByRole('row', { name: 'Plan Pro' }).locator('td[data-label="Length"]').innerText(),
    ).toBe('30 h');

    // The same id again is refused by billing, not overwritten.
    await operator.getByRole('button', { name: 'New plan' }).click();
    const again = operator.getByRole('form', { name: 'New plan' });
    await again.getByLabel('Plan id', { exact: true }).fill('team');
    await again.getByLabel('Name', { exact: true }).fill('Other');
    await again.getByRole('button', { name: 'Create plan' }).click();
    await again.getByRole('alert').filter({ hasText: 'A plan with the id team already exists' }).waitFor();
    await again.getByRole('button', { name: 'Cancel' }).click();

    await plans.getByRole('button', { name: 'Edit Pro' }).click();
    const edit = operator.getByRole('form', { name: 'Edit the Pro plan' });
    await edit.getByLabel('Monthly price', { exact: true }).fill('19.999');
    await edit.getByRole('button', { name: 'Save plan' }).click();
    expect(await messageOf(edit, 'Monthly price')).toBe('must be an amount such as 14.99');
    await edit.getByLabel('Monthly price', { exact: true }).fill('19.99');
    await edit.getByLabel('Recording hours a month', { exact: true }).fill('30');
    await edit.getByRole('button', { name: 'Save plan' }).click();
    await operator.getByRole('status').filter({ hasText: 'Saved the Pro plan.' }).waitFor();
    // The list is read again after the save.
    await expect
      .poll(() => plans.getByRole('row', { name: 'Plan Pro' }).innerText(), { timeout: DEADLINE })
      .toMatch(/USD 19\.99 a month[\s\S]*30 h/);
    const pro = (
      (await ok(operator, 'GET', '/api/billing/plans'))['items'] as Array<Record<string, unknown>>
    ).find((p) => p['id'] === 'pro');
    expect(pro).toMatchObject({ price_monthly_cents: 1999, recording_hours: 30 });
    await operator.screenshot({ path: `${ARTIFACTS}admin-plans-laptop.png`, fullPage: true });

    // The own organization's list holds the month so far; the list of every organization holds issued
    // invoices only and says so, so "no invoices" never stands next to an invoice.
    const own = operator.getByRole('table', { name: 'Invoices of Operations' });
    await own.getByRole('cell', { name: 'Month so far' }).waitFor();
    const issued = operator.getByRole('table', { name: 'Issued invoices of every organization' });
    await issued.getByText('No organization has an issued invoice yet.').waitFor();
    await operator.getByRole('heading', { name: 'Issued invoices of every organization' }).waitFor();
    await operator.getByText('The month so far of an organization is not one of them').waitFor();
    expect(await operator.getByText('No invoices yet.').count()).toBe(0);
  });

  it('lets the operator pick an organization by name, once, and move it to another plan', async () => {
    await openTab(operator, 'Plan and usage');
    await operator.getByRole('heading', { name: 'Plan of Operations' }).waitFor();
    // One organization picker on the page, at the top where the other tabs have it; the plan changer
    // acts on the organization shown.
    expect(await operator.getByLabel('Find an organization').count()).toBe(1);
    const changer = operator.getByRole('form', { name: "Change an organization's plan" });
    expect(await changer.getByLabel('Find an organization').count()).toBe(0);
    const whose = operator.getByRole('region', { name: 'Whose plan and usage' });
    const shown = whose.getByLabel('Organization shown');
    const labels = () => shown.getByRole('option').allInnerTexts();
    // Every organization once: the operator's own first, by name (it is what the page shows until another
    // is picked), then the others; the own one is not listed a second time among them.
    await expect
      .poll(labels, { timeout: DEADLINE })
      .toEqual(['Operations (your organization)', `${ORG_NAME} (1 member)`]);
    const every = await labels();
    expect(new Set(every).size, `option labels ${JSON.stringify(every)}`).toBe(every.length);
    // A search that finds the operator's own organization leaves it where it is, once.
    await whose.getByLabel('Find an organization').fill('operations');
    await expect.poll(labels, { timeout: DEADLINE }).toEqual(['Operations (your organization)']);
    await whose.getByLabel('Find an organization').fill('analytical');
    // The search narrows the list to the one organization.
    await expect
      .poll(labels, { timeout: DEADLINE })
      .toEqual(['Operations (your organization)', `${ORG_NAME} (1 member)`]);
    await shown.selectOption({ label: `${ORG_NAME} (1 member)` });
    await operator.getByRole('heading', { name: `Plan of ${ORG_NAME}` }).waitFor();
    await changer.getByLabel(`New plan for ${ORG_NAME}`, { exact: true }).selectOption('team');
    await changer.getByRole('button', { name: 'Change plan' }).click();
    await changer
      .getByRole('status')
      .filter({ hasText: 'The organization is now on the Team plan.' })
      .waitFor();
    const sub = await ok(ada, 'GET', `/api/billing/orgs/${adaOrg}/subscription`);
    expect(sub['plan']).toMatchObject({ id: 'team' });
    await operator.screenshot({ path: `${ARTIFACTS}admin-plan-changer-laptop.png` });

    // The plan shown above follows the change; usage and invoices are of the organization picked.
    await expect
      .poll(() => operator.getByTestId('billing-plan').innerText(), { timeout: DEADLINE })
      .toMatch(/^Team/);
    expect(await operator.getByTestId('billing-plan').innerText()).toMatch(/meetings up to 2 hours,/);
    await operator.getByRole('heading', { name: `Invoices of ${ORG_NAME}` }).waitFor();
    await operator.screenshot({ path: `${ARTIFACTS}admin-plan-other-org-laptop.png`, fullPage: true });
    // The open tab is in the address: a reload keeps it.
    await operator.reload();
    await operator.getByRole('tab', { name: 'Plan and usage', selected: true }).waitFor();
    expect(new URL(operator.url()).searchParams.get('tab')).toBe('billing');
  });

  it("shows billing's changes and another organization's meeting log to the operator", async () => {
    await openTab(operator, 'Audit log');
    const events = operator.getByRole('table', { name: 'Audit events' });
    await operator.getByLabel('Log', { exact: true }).selectOption({ label: 'Plans and billing' });
    await events.getByRole('cell', { name: 'subscription.changed' }).waitFor();
    const text = await events.innerText();
    for (const action of ['subscription.changed', 'plan.updated', 'plan.created'])
      expect(text).toContain(action);
    expect(text).toContain(`subscription ${adaOrg}`);
    // Who did it, by name with the id beside it; the actor filter takes a name or an e-mail address.
    await events
      .getByRole('cell', { name: /^Otto Operator \(usr_[\w-]+\)$/ })
      .first()
      .waitFor();
    const filters = operator.getByRole('form', { name: 'Audit log filters' });
    await filters.getByLabel('Actor').fill('nobody@example.com');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await operator
      .getByText('Nobody has a name or e-mail address containing "nobody@example.com".')
      .waitFor();
    // A filter that could not be applied shows no rows, not the last filter's.
    expect(await events.locator('td[data-label="Actor"]').count()).toBe(0);
    await filters.getByLabel('Actor').fill('otto@example.com');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await operator
      .getByText('Nobody has a name or e-mail address containing "nobody@example.com".')
      .waitFor({ state: 'detached' });
    await events
      .getByRole('cell', { name: /^Otto Operator/ })
      .first()
      .waitFor();
    const actors = await events.locator('td[data-label="Actor"]').allInnerTexts();
    expect(actors.length).toBeGreaterThan(0);
    expect(actors.filter((a) => !a.startsWith('Otto Operator'))).toEqual([]);
    await filters.getByLabel('Actor').fill('');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await operator.screenshot({ path: `${ARTIFACTS}admin-audit-billing-laptop.png` });

    await operator.getByLabel('Log', { exact: true }).selectOption({ label: 'Meetings' });
    await operator.getByLabel('Find an organization').fill(ORG_NAME);
    await operator.getByRole('option', { name: `${ORG_NAME} (1 member)` }).waitFor({ state: 'attached' });
    await operator
      .getByLabel('Organization', { exact: true })
      .selectOption({ label: `${ORG_NAME} (1 member)` });
    await events.getByRole('cell', { name: 'meeting.create' }).waitFor();
    // The select is wide enough for the organization's whole name and member count at laptop width.
    const room = await operator.getByLabel('Organization', { exact: true }).evaluate((el) => {
      const select = el as HTMLSelectElement;
      const style = getComputedStyle(select);
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = style.font;
      const text = context.measureText(select.selectedOptions[0]?.text ?? '').width;
      const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      // What the text has left once the padding and the drop-down arrow (about 20 px) are taken.
      return select.clientWidth - padding - 20 - text;
    });
    expect(room).toBeGreaterThan(0);
    await operator.screenshot({ path: `${ARTIFACTS}admin-audit-other-org-laptop.png` });

    // Ada, an organization admin, sees her own subscription changes and nothing of the operator's plans.
    await openTab(ada, 'Audit log');
    await ada.getByLabel('Log', { exact: true }).selectOption({ label: 'Plan changes' });
    const hers = ada.getByRole('table', { name: 'Audit events' });
    await hers.getByRole('cell', { name: 'subscription.changed' }).waitFor();
    expect(await hers.innerText()).not.toContain('plan.created');
    expect(await ada.getByLabel('Find an organization').count()).toBe(0);
  });

  it('fits the Outbox into a phone, one labelled block per message, and into a laptop', async () => {
    const state = await operator.context().storageState();
    for (const [viewport, label] of [
      [PHONE, 'phone'],
      [LAPTOP, 'laptop'],
    ] as const) {
      const page = await newPage(viewport, `outbox-${label}`, state);
      await openTab(page, 'Outbox');
      const table = page.getByRole('table', { name: 'Outbox' });
      await table.getByText('ada@example.com').first().waitFor();
      // No mail server in this stack: the tab says the mail was kept, not sent.
      await page.getByText('No mail server is set (SMTP_URL), so e-mail goes nowhere').waitFor();
      await table.getByText('kept here, not sent').first().waitFor();
      const widths = await page.evaluate(() => {
        const wrap = document.querySelector('table[aria-label="Outbox"]')?.parentElement;
        return {
          page: document.documentElement.scrollWidth,
          window: window.innerWidth,
          wrapScroll: wrap?.scrollWidth ?? -1,
          wrapClient: wrap?.clientWidth ?? -1,
        };
      });
      expect(widths.page, `${label}: the page is wider than the window`).toBeLessThanOrEqual(widths.window);
      expect(widths.wrapScroll, `${label}: the table scrolls sideways`).toBeLessThanOrEqual(
        widths.wrapClient,
      );
      await page.screenshot({ path: `${ARTIFACTS}admin-outbox-${label}.png` });
    }
  });

  it("says on the operator's own row why its Disable and Sign out everywhere are greyed", async () => {
    await openTab(operator, 'Users');
    const own = operator.getByRole('table', { name: 'Members' }).getByRole('row', { name: 'Otto Operator' });
    // Each greyed button carries its own reason in its name, and the row says it in visible text too.
    const disable = own.getByRole('button', {
      name: 'Disable Otto Operator (you cannot disable your own account)',
    });
    const signOut = own.getByRole('button', {
      name: 'Sign out Otto Operator everywhere (not for your own account: Sign out at the top of the page ends this session)',
    });
    expect(await disable.isDisabled()).toBe(true);
    expect(await signOut.isDisabled()).toBe(true);
    const note = own.getByText('This is you: you cannot disable your own account or sign it out everywhere');
    expect(await note.isVisible()).toBe(true);
    expect(await note.innerText()).toMatch(/Sign out at the top of the page ends this session\.$/);
    await operator.screenshot({ path: `${ARTIFACTS}admin-users-own-row-laptop.png` });
  });

  it('tells a host on a plan without recording why instead of offering Record', async () => {
    // Ada's organization is on the Team plan now, which the operator made without recording.
    await ada.goto('/');
    await ada.getByRole('button', { name: 'Start an instant meeting' }).click();
    await ada.getByRole('button', { name: 'Join meeting' }).click();
    await controls(ada).waitFor();
    const record = ada.getByRole('button', { name: 'Record', exact: true });
    await record.waitFor();
    expect(await record.getAttribute('aria-disabled')).toBe('true');
    // It says why beside it, not only in a tooltip: a greyed button with no reason looks broken.
    const describedBy = await record.getAttribute('aria-describedby');
    expect(describedBy).not.toBeNull();
    const short = ada.locator(`[id="${describedBy!}"]`);
    expect(await short.isVisible()).toBe(true);
    expect(await short.innerText()).toBe('Not on this plan');
    // Only marked unavailable (aria-disabled), so a click still reaches it and says why; Playwright treats
    // aria-disabled as disabled, hence the forced click once the media is up.
    await expect
      .poll(() => record.evaluate((b) => (b as HTMLButtonElement).disabled), { timeout: DEADLINE })
      .toBe(false);
    await record.click({ force: true });
    const why = ada.getByRole('status').filter({ hasText: 'plan does not include recording' });
    await why.waitFor();
    expect(await why.innerText()).toMatch(/Team plan does not include recording/);
    expect(await why.innerText()).toMatch(
      /operator of this Origo installation sets in Admin, Plan and usage/,
    );
    // The recording service was asked (the plan may have changed since joining) and refused: no banner says
    // the meeting is being recorded.
    expect(await ada.getByText('This meeting is being recorded.').count()).toBe(0);
    await ada.screenshot({ path: `${ARTIFACTS}admin-record-not-in-plan-laptop.png` });
  });

  it('titles the instant meeting by its start and moves it to past meetings once it ended', async () => {
    // Ada is still in the instant meeting of the test before; its title says when it was started.
    const meetingId = /\/(?:join|meeting)\/(mtg_[\w-]+)/.exec(ada.url())?.[1];
    expect(meetingId).toBeDefined();
    const meeting = await ok(ada, 'GET', `/api/meetings/${meetingId!}`);
    expect(meeting['title']).toMatch(/^Instant meeting, .+\d{1,2}:\d{2}/);
    await controls(ada).getByRole('button', { name: 'Leave' }).click();
    await ada.waitForURL(/\/ended\?/);
    // Alone in the room, Ada's leaving ends it once the room's grace for a return has passed. She goes back
    // to her meetings as a person does, and the page she has open moves it from upcoming (live until then)
    // to past meetings by itself, without a reload.
    await ada.getByRole('link', { name: 'Back to meetings' }).click();
    await ada.waitForURL(/\/dashboard/);
    const upcoming = ada.getByRole('region', { name: 'Upcoming meetings' });
    const past = ada.getByRole('region', { name: 'Past meetings' });
    const card = past.locator(`[data-meeting-id="${meetingId!}"]`);
    await card.waitFor({ timeout: PROMPTLY });
    await upcoming
      .locator(`[data-meeting-id="${meetingId!}"]`)
      .waitFor({ state: 'detached', timeout: PROMPTLY });
    expect(await card.getByRole('heading').innerText()).toBe(meeting['title']);
    expect(new URL(ada.url()).pathname).toBe('/dashboard');
    // Its end and the upcoming meeting's start are written the same way: weekday, date, time and zone.
    const ended = await card.locator('p.muted').first().innerText();
    const starts = await upcoming
      .locator('.meeting-card', { hasText: 'Board review' })
      .locator('p.muted')
      .first()
      .innerText();
    expect(ended).toMatch(/^Ended /);
    const shape = (text: string) => text.replace(/\d+/g, '9').replace(/\p{L}+/gu, 'a');
    expect(shape(ended.replace(/^Ended /, ''))).toBe(shape(starts));
    expect(starts).toMatch(/\d{1,2}:\d{2}/);
    await ada.screenshot({ path: `${ARTIFACTS}dashboard-instant-past-laptop.png`, fullPage: true });
    // Ada in New York reads the meeting scheduled in UTC at her own time first, then at the time where it
    // was scheduled: the two clocks are five hours apart in winter, four in summer.
    const away = await newPage(
      LAPTOP,
      'ada-new-york',
      await ada.context().storageState(),
      'America/New_York',
    );
    await away.goto('/dashboard');
    const there = await away
      .getByRole('region', { name: 'Upcoming meetings' })
      .locator('.meeting-card', { hasText: 'Board review' })
      .locator('p.muted')
      .first()
      .innerText();
    const clock = (text: string) => /(\d{1,2}):(\d{2})/.exec(text)!.slice(1).map(Number);
    const [localH, localM] = clock(there);
    const utc = /\((?:\p{L}+ )?(\d{1,2}:\d{2}(?:\s?[AP]M)?) in UTC\)$/u.exec(there);
    expect(utc, `"${there}" gives the time in UTC too`).not.toBeNull();
    expect(clock(starts)).toEqual(clock(utc![1]!));
    expect([4 * 60, 5 * 60]).toContain(
      ((clock(starts)[0]! - localH! + 24) % 12) * 60 + clock(starts)[1]! - localM!,
    );
    await away.close();

    // Its link now says it ended and leads to what is left of it, without starting the camera.
    await ada.goto(`/join/${meetingId!}`);
    await ada.getByText('This meeting has ended.', { exact: true }).waitFor();
    expect(await ada.getByRole('heading', { level: 1 }).innerText()).toBe(meeting['title']);
    for (const name of [`Chat of ${String(meeting['title'])}`, `Recordings of ${String(meeting['title'])}`])
      await ada.getByRole('link', { name }).waitFor();
    await ada.getByRole('link', { name: 'Back to meetings' }).waitFor();
    expect(await ada.getByRole('button', { name: 'Join meeting' }).count()).toBe(0);
    expect(await ada.getByLabel('Your camera preview').count()).toBe(0);
    await ada.screenshot({ path: `${ARTIFACTS}join-ended-meeting-laptop.png` });

    // A new instant meeting nobody joined yet is upcoming, under a title of its own: its start, numbered
    // when another meeting listed as upcoming already has that title.
    const fresh = await ok(ada, 'POST', '/api/meetings', {
      org_id: adaOrg,
      kind: 'instant',
      locale: 'en-GB',
      time_zone: 'UTC',
    });
    expect(fresh['title']).toMatch(/^Instant meeting, \d{1,2} [A-Z][a-z]+, \d{2}:\d{2}( \(\d+\))?$/);
    await ada.goto('/dashboard');
    const freshCard = upcoming.locator(`[data-meeting-id="${fresh['id'] as string}"]`);
    await freshCard.getByText(/^Not started yet; listed here until /).waitFor();
    expect(await freshCard.getByRole('heading').innerText()).toBe(fresh['title']);
  });

  it("names who joined and left in the meeting log, and offers the recordings' log", async () => {
    await openTab(ada, 'Audit log');
    const events = ada.getByRole('table', { name: 'Audit events' });
    const filters = ada.getByRole('form', { name: 'Audit log filters' });
    await filters.getByLabel('Action starts with').fill('meeting.participant_');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await events.getByRole('cell', { name: 'meeting.participant_left' }).first().waitFor();
    const rows = events.locator('tbody tr');
    const actors = await events.locator('td[data-label="Actor"]').allInnerTexts();
    expect(actors.length).toBeGreaterThanOrEqual(2);
    // The person by the name they joined under, with their id beside it; not signaling's service id.
    for (const actor of actors) expect(actor).toMatch(/^Ada Admin \(usr_[\w-]+\)$/);
    expect(await rows.filter({ hasText: 'meeting.participant_joined' }).count()).toBeGreaterThanOrEqual(1);
    await ada.screenshot({ path: `${ARTIFACTS}admin-audit-participants-laptop.png` });

    await ada.getByLabel('Log', { exact: true }).selectOption({ label: 'Recordings' });
    await filters.getByRole('button', { name: 'Clear' }).click();
    // Nothing was recorded in this organization (its plan has no recording): the log is empty, not failing.
    await events.getByText('No events.').waitFor();
    expect(await ada.getByRole('alert').count()).toBe(0);
  });

  // Last: it leaves Ada without the admin area.
  it('asks an admin who makes themselves a host first, refuses the last admin, then closes the area', async () => {
    await openTab(ada, 'Users');
    const own = ada.getByRole('table', { name: 'Members' }).getByRole('row', { name: 'Ada Admin' });
    const role = own.getByLabel('Role of Ada Admin');
    const question = own.getByRole('group', {
      name: /^Make yourself a host\? You lose this admin area at once/,
    });
    await role.selectOption('host');
    await question.waitFor();
    // The harmless answer has the focus; it keeps the role.
    expect(
      await own.getByRole('button', { name: 'Stay admin' }).evaluate((b) => b === document.activeElement),
    ).toBe(true);
    await ada.screenshot({ path: `${ARTIFACTS}admin-users-self-demotion-laptop.png` });
    await own.getByRole('button', { name: 'Stay admin' }).click();
    await question.waitFor({ state: 'detached' });
    expect(await role.inputValue()).toBe('admin');

    // Ada is her organization's only admin: the server refuses, saying what to do, and her role stays.
    await role.selectOption('host');
    await own.getByRole('button', { name: 'Make me host' }).click();
    await ada
      .getByRole('alert')
      .filter({ hasText: 'An organization needs at least one admin: make another member an admin first' })
      .waitFor();
    expect(await role.inputValue()).toBe('admin');

    // With a second admin (the operator, added through the API) she can, and the area closes to her.
    await ok(ada, 'POST', `/api/orgs/${adaOrg}/members`, { email: 'otto@example.com', role: 'admin' });
    await role.selectOption('member');
    await own.getByRole('button', { name: 'Make me member' }).click();
    await ada.getByText('The admin area is for administrators.').waitFor();
    expect(await ada.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
  });
});
