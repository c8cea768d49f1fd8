// The meeting as a person sees it, in Chromium with fake devices through the whole platform: visible
// live video in the tiles, a layout that fits the window, invitations and the lobby. Driven by visible
// labels and roles; checked on the screen (boxes, the video on top, frames presented, sound heard).
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import {
  type Box,
  controls,
  copyInviteLink,
  layoutProblems,
  transitionsDone,
  tile,
  videos,
  waitRemoteAudio,
  waitVideoShown,
  waitVideoWidth,
} from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { pollPage } from '../lib/wait.js';
import { signUp } from '../lib/signUp.js';

const DEADLINE = 60_000;
/** A whole scenario on a loaded two-core machine: every step has its own deadline within it. */
const SCENARIO_TIMEOUT = 600_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 720 };
const DESKTOP = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1280, height: 800 };
let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
/** Pages of the running test, for the screenshots taken when it fails. */
let pages: Array<{ label: string; page: Page }> = [];

/** The SFU transports under test (SFU_TRANSPORT narrows to one). */
const TRANSPORTS = ['werift', 'ndc'].filter(
  (t) =>
    process.env['SFU_TRANSPORT'] === undefined ||
    process.env['SFU_TRANSPORT'] === '' ||
    process.env['SFU_TRANSPORT'] === t,
);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterEach(async (ctx) => {
  const current = pages;
  pages = [];
  if (ctx.task.result?.state !== 'fail') return;
  for (const { label, page } of current) {
    if (page.isClosed()) continue;
    await page.screenshot({ path: `${ARTIFACTS}failed-${label}.png` }).catch(() => undefined);
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 600)}`);
  }
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
});

/**
 * A page in a new browser context. `phoneBrowser`: the browser has no screen capture, as the phone
 * browsers (Safari on iOS, Chrome on Android) have no `getDisplayMedia`.
 */
async function newPage(
  viewport: { width: number; height: number },
  label: string,
  opts: { phoneBrowser?: boolean } = {},
): Promise<Page> {
  const context = await browser!.newContext({ viewport, baseURL: stack!.url });
  if (opts.phoneBrowser === true)
    await context.addInitScript(() => {
      delete (MediaDevices.prototype as { getDisplayMedia?: unknown }).getDisplayMedia;
    });
  await context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], {
    origin: stack!.url,
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      console.error(`[${label}] console ${m.type()}: ${m.text()}`);
  });
  page.on('dialog', (d) => void d.accept());
  pages.push({ label, page });
  return page;
}

/** A screenshot for the record, then the layout checks on the same screen. */
async function look(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
  const problems = await layoutProblems(page);
  expect(problems, `${name}: ${problems.join('; ')}`).toEqual([]);
}

/**
 * Layout settles after a change: the tiles' glide has ended and the screen is sound, or 10 s have passed
 * (then `look` reports what is wrong).
 */
async function lookSettled(page: Page, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  await transitionsDone(page);
  while ((await layoutProblems(page)).length > 0 && Date.now() < deadline) {
    await page.waitForTimeout(200);
    await transitionsDone(page);
  }
  await look(page, name);
}

/** Every visible tile's box on screen, by its name. */
async function tileBoxes(page: Page): Promise<Record<string, Box>> {
  const out: Record<string, Box> = {};
  for (const t of await videos(page).getByRole('group').all()) {
    const b = await t.boundingBox();
    if (b !== null) out[(await t.getAttribute('aria-label')) ?? '?'] = b;
  }
  return out;
}

/** Tiles whose box moved or changed size between two reads, in words. */
function moved(before: Record<string, Box>, after: Record<string, Box>): string[] {
  const out: string[] = [];
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[name];
    const b = after[name];
    if (a === undefined || b === undefined)
      out.push(`tile "${name}" ${a === undefined ? 'appeared' : 'went away'}`);
    else if (
      Math.abs(a.x - b.x) > 0.5 ||
      Math.abs(a.y - b.y) > 0.5 ||
      Math.abs(a.width - b.width) > 0.5 ||
      Math.abs(a.height - b.height) > 0.5
    )
      out.push(`tile "${name}" moved from ${JSON.stringify(a)} to ${JSON.stringify(b)}`);
  }
  return out;
}

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width - 0.5 &&
  b.x < a.x + a.width - 0.5 &&
  a.y < b.y + b.height - 0.5 &&
  b.y < a.y + a.height - 0.5;

/** The control bar's buttons that `box` lies over, by name. */
async function buttonsUnder(page: Page, box: Box): Promise<string[]> {
  const out: string[] = [];
  for (const b of await controls(page).getByRole('button').all()) {
    const bb = await b.boundingBox();
    if (bb !== null && overlaps(bb, box)) out.push((await b.innerText()).trim());
  }
  return out;
}

/** How many rows the meeting controls take on screen. */
async function controlRows(page: Page): Promise<number> {
  const tops = new Set<number>();
  for (const b of await controls(page).getByRole('button').all()) {
    const bb = await b.boundingBox();
    if (bb !== null) tops.add(Math.round(bb.y));
  }
  return tops.size;
}

/** The tiles' name labels and tags (Muted, a bad connection) that `box` lies over, in words. */
async function labelsUnder(page: Page, box: Box): Promise<string[]> {
  const out: string[] = [];
  for (const t of await videos(page).getByRole('group').all()) {
    for (const label of await t.locator('.tile-name, .tag').all()) {
      const bb = await label.boundingBox();
      if (bb !== null && overlaps(bb, box))
        out.push(
          `"${(await label.innerText()).trim()}" on tile "${(await t.getAttribute('aria-label')) ?? '?'}"`,
        );
    }
  }
  return out;
}

async function inMeeting(page: Page): Promise<void> {
  await controls(page).waitFor();
}

describe.each(TRANSPORTS)('the meeting a person sees (SFU on %s)', (transport) => {
  beforeAll(async () => {
    stack = await startStack({ SFU_TRANSPORT: transport });
  });
  afterAll(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it(
    'a guest with no account joins an instant meeting from the link the host copies inside it',
    async () => {
      const host = await newPage(LAPTOP, 'host');
      const guest = await newPage(PHONE, 'guest');

      await signUp(host, 'Ann Host', 'ann@example.com');
      await host.getByRole('button', { name: 'Start an instant meeting' }).click();
      // Before joining, the host has a way back to their meetings (the page has no header).
      await host.getByRole('link', { name: 'Back to meetings' }).waitFor();
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(host);
      await waitVideoShown(tile(host, 'Ann Host (you)'), 'the host sees their own camera', DEADLINE);
      await lookSettled(host, 'instant-laptop-alone');
      // Alone, there is nothing to pin one's own tile above.
      expect(await tile(host, 'Ann Host (you)').getByRole('button', { name: /^Pin / }).count()).toBe(0);

      // The invite control inside the meeting: copy the link.
      await controls(host).getByRole('button', { name: 'Invite' }).click();
      const invitePanel = host.getByRole('complementary', { name: 'Invite people' });
      await invitePanel.getByLabel('Invite link').waitFor();
      const revokeBefore = await invitePanel.getByRole('button', { name: 'Revoke links' }).boundingBox();
      await invitePanel.getByRole('button', { name: 'Copy invite link' }).click();
      await invitePanel.getByRole('button', { name: 'Link copied' }).waitFor();
      // The confirmation moves nothing beside it, and after a few seconds the button offers to copy again.
      expect(await invitePanel.getByRole('button', { name: 'Revoke links' }).boundingBox()).toEqual(
        revokeBefore,
      );
      await invitePanel.getByRole('button', { name: 'Copy invite link' }).waitFor({ timeout: 15_000 });
      const link = await host.evaluate(() => navigator.clipboard.readText());
      expect(link).toMatch(/\/join\/mtg_[A-Za-z0-9_-]+#invite=[A-Za-z0-9_-]{20,}$/);
      expect(await invitePanel.getByLabel('Invite link').inputValue()).toBe(link);
      await lookSettled(host, 'instant-laptop-invite-panel');
      await invitePanel.getByRole('button', { name: 'Close' }).click();

      // A link to no meeting (mistyped) says so at once: no Join and no camera, a way home instead.
      await guest.goto('/join/mtg_AAAAAAAAAAAAAAAAAAAAAA');
      await guest.getByText(/This link leads to no meeting/).waitFor();
      await guest.getByRole('link', { name: 'Home' }).waitFor();
      expect(await guest.getByRole('button', { name: 'Join meeting' }).count()).toBe(0);
      expect(await guest.getByLabel('Your camera preview').count()).toBe(0);

      // The guest opens the link: the pre-join shows the meeting's title and asks for no passcode.
      await guest.goto(link);
      await guest.getByRole('heading', { name: 'Instant meeting' }).waitFor();
      expect(await guest.getByLabel('Meeting passcode').count()).toBe(0);
      expect(
        await guest.getByRole('link', { name: 'Back to meetings' }).count(),
        'a guest has no meetings',
      ).toBe(0);
      // Join pressed before a name is typed says what is missing, at the field, and goes there.
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await guest.getByText('Enter your name. The others see it on your tile.').waitFor();
      const nameField = guest.getByLabel('Your name');
      const nameHelp = guest.locator(`[id="${await nameField.getAttribute('aria-describedby')}"]`);
      expect(await nameHelp.innerText()).toBe('Enter your name. The others see it on your tile.');
      expect(await nameField.evaluate((el) => el === document.activeElement)).toBe(true);
      await guest.screenshot({ path: `${ARTIFACTS}instant-phone-prejoin-no-name.png` });
      await nameField.fill('Gil Guest');
      expect(await guest.getByText('Enter your name.', { exact: false }).count()).toBe(0);
      await guest.screenshot({ path: `${ARTIFACTS}instant-phone-prejoin.png` });
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(guest);

      // Each sees the other's camera as live video in a visible tile, and hears the other.
      await waitVideoShown(tile(host, 'Gil Guest'), "the host sees the guest's camera", DEADLINE);
      await waitVideoShown(tile(guest, 'Ann Host'), "the guest sees the host's camera", DEADLINE);
      await waitVideoShown(tile(guest, 'Gil Guest (you)'), 'the guest sees their own camera', DEADLINE);
      await lookSettled(host, 'instant-laptop-two');
      await lookSettled(guest, 'instant-phone-two');
      await waitRemoteAudio(host, 'the host hears the guest', DEADLINE);
      await waitRemoteAudio(guest, 'the guest hears the host', DEADLINE);
      expect(await tile(host, 'Gil Guest').getByText('Muted', { exact: true }).count()).toBe(0);

      // The host's participants list reads the guest's link while their media flows.
      const hostPeople = controls(host).getByRole('button', { name: /^Participants/ });
      await hostPeople.click();
      const guestRow = host
        .getByRole('complementary', { name: 'Participants' })
        .getByRole('listitem')
        .filter({ hasText: 'Gil Guest' });
      const linkRead = guestRow.getByText(/connection (excellent|good|poor)/);
      await linkRead.waitFor({ timeout: DEADLINE });

      // The guest mutes and stops the camera: the host's tile follows.
      await controls(guest).getByRole('button', { name: 'Mute', exact: true }).click();
      await tile(host, 'Gil Guest').getByText('Muted', { exact: true }).waitFor();
      await controls(guest).getByRole('button', { name: 'Stop video' }).click();
      await tile(host, 'Gil Guest').getByText('GG', { exact: true }).waitFor();
      // A guest who sends nothing on purpose has no reading any more, not a lost connection.
      await linkRead.waitFor({ state: 'detached', timeout: DEADLINE });
      expect(await guestRow.innerText()).not.toContain('connection lost');
      expect(await tile(host, 'Gil Guest').getByText('Connection lost').count()).toBe(0);
      await host.screenshot({ path: `${ARTIFACTS}instant-laptop-guest-camera-off.png` });
      await hostPeople.click();
      await controls(guest).getByRole('button', { name: 'Start video' }).click();
      await controls(guest).getByRole('button', { name: 'Unmute' }).click();
      await waitVideoShown(tile(host, 'Gil Guest'), "the guest's camera comes back", DEADLINE);
      await tile(host, 'Gil Guest').getByText('Muted', { exact: true }).waitFor({ state: 'detached' });

      // The host presents: the presentation takes the guest's stage with a filmstrip under it.
      await controls(host).getByRole('button', { name: 'Share screen' }).click();
      await host.getByText('You are presenting').waitFor();
      await waitVideoShown(
        tile(guest, 'Ann Host, presentation'),
        'the guest sees the presentation',
        DEADLINE,
      );
      await waitVideoShown(
        tile(guest, 'Ann Host'),
        'the guest still sees the host in the filmstrip',
        DEADLINE,
      );
      await lookSettled(guest, 'instant-phone-presentation');
      await lookSettled(host, 'instant-laptop-presenting');
      const stageBox = await tile(guest, 'Ann Host, presentation').boundingBox();
      const stripBox = await tile(guest, 'Ann Host').boundingBox();
      expect(stageBox!.width * stageBox!.height).toBeGreaterThan(2 * stripBox!.width * stripBox!.height);
      expect(stripBox!.y).toBeGreaterThanOrEqual(stageBox!.y + stageBox!.height);
      // Adaptive stream: the small filmstrip tile is sent the lowest layer (a quarter of 1280 px).
      await waitVideoWidth(tile(guest, 'Ann Host'), (w) => w > 0 && w <= 320, 'the filmstrip tile', DEADLINE);

      // Side panels make room: the stage shrinks beside (laptop) or above (phone) the panel.
      await controls(guest)
        .getByRole('button', { name: /^Participants/ })
        .click();
      await guest.getByRole('complementary', { name: 'Participants' }).waitFor();
      await lookSettled(guest, 'instant-phone-presentation-participants');
      await controls(host)
        .getByRole('button', { name: /^Participants/ })
        .click();
      await lookSettled(host, 'instant-laptop-presenting-participants');
      await controls(host).getByRole('button', { name: 'Stop presenting' }).click();
      await tile(guest, 'Ann Host, presentation').waitFor({ state: 'detached' });

      // Pinning and speaker view put one person on the stage; the video stays live while it moves.
      await tile(host, 'Gil Guest').hover();
      await tile(host, 'Gil Guest').getByRole('button', { name: 'Pin Gil Guest' }).click();
      await lookSettled(host, 'instant-laptop-pinned');
      await waitVideoShown(tile(host, 'Gil Guest'), 'the pinned guest', DEADLINE);
      await tile(host, 'Gil Guest').getByRole('button', { name: 'Unpin Gil Guest' }).click();
      await controls(guest).getByRole('button', { name: 'Speaker view' }).click();
      await lookSettled(guest, 'instant-phone-speaker-view');
      await waitVideoShown(tile(guest, 'Ann Host'), 'the speaker on the guest stage', DEADLINE);

      await controls(guest).getByRole('button', { name: 'Leave' }).click();
      await guest.waitForURL(/\/ended\?/);
      await tile(host, 'Gil Guest').waitFor({ state: 'detached' });

      // "Rejoin" takes the guest back through the invite link: no passcode asked, back in the meeting.
      await guest.getByRole('link', { name: 'Rejoin' }).click();
      await guest.getByRole('heading', { name: 'Instant meeting' }).waitFor();
      expect(await guest.getByLabel('Meeting passcode').count()).toBe(0);
      await guest.getByLabel('Your name').fill('Gil Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(guest);
      await waitVideoShown(tile(host, 'Gil Guest'), 'the host sees the guest who rejoined', DEADLINE);
      await controls(guest).getByRole('button', { name: 'Leave' }).click();
      await guest.waitForURL(/\/ended\?/);

      // After a reload the host's Invite panel shows the link shared before, not a new one; revoking
      // stops every link of the meeting, and the shared link then turns a newcomer away.
      await host.reload();
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(host);
      await controls(host).getByRole('button', { name: 'Invite' }).click();
      const again = host.getByRole('complementary', { name: 'Invite people' });
      await again.getByLabel('Invite link').waitFor();
      expect(await again.getByLabel('Invite link').inputValue()).toBe(link);
      await again.getByRole('button', { name: 'Revoke links' }).click();
      await again.getByRole('button', { name: 'Revoke all' }).click();
      await again.getByText('Links revoked: 1. Nobody can join with them any more.').waitFor();
      // Escape closes the panel as Close does, and the focus goes back to the button that opens it.
      await again.getByRole('button', { name: 'Close' }).focus();
      await host.keyboard.press('Escape');
      await again.waitFor({ state: 'detached' });
      const inviteButton = controls(host).getByRole('button', { name: 'Invite' });
      expect(await inviteButton.evaluate((el) => el === document.activeElement)).toBe(true);
      // Opened again from the keyboard, the panel takes the focus, so Tab goes through it next; Escape
      // closes it from anywhere and the focus goes back to the button.
      await host.keyboard.press('Enter');
      await again.getByLabel('Invite link').waitFor();
      expect(await again.evaluate((el) => el === document.activeElement), 'the panel has the focus').toBe(
        true,
      );
      await host.keyboard.press('Tab');
      expect(
        await again.evaluate((el) => el.contains(document.activeElement)),
        'Tab stays in the panel',
      ).toBe(true);
      await controls(host).getByRole('button', { name: 'Devices' }).focus();
      await host.keyboard.press('Escape');
      await again.waitFor({ state: 'detached' });
      expect(await inviteButton.evaluate((el) => el === document.activeElement)).toBe(true);
      await guest.goto(link);
      await guest.getByText(/no longer valid/).waitFor();

      await controls(host).getByRole('button', { name: 'Leave' }).click();
      await host.waitForURL(/\/ended\?/);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'reactions float over the stage: the tiles keep their place and their names show when a reaction does',
    async () => {
      const host = await newPage(WIDE, 'react-host');
      const guest = await newPage(PHONE, 'react-guest', { phoneBrowser: true });
      await signUp(host, 'Rae Host', 'rae.react@example.com');
      await host.getByRole('button', { name: 'Start an instant meeting' }).click();
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(host);
      const link = await copyInviteLink(host);
      await guest.goto(link);
      await guest.getByLabel('Your name').fill('Rui Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(guest);
      // A phone's browser cannot share its screen, so the phone is not offered it; the laptop is.
      expect(await controls(guest).getByRole('button', { name: 'Share screen' }).count()).toBe(0);
      expect(await controls(host).getByRole('button', { name: 'Share screen' }).count()).toBe(1);
      // The meeting's title fits the phone's header whole (on two lines), not cut off.
      const title = guest.getByRole('heading', { name: /^Instant meeting, / });
      expect(
        await title.evaluate(
          (el) => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1,
        ),
        'the title is shown whole',
      ).toBe(true);
      await waitVideoShown(tile(host, 'Rui Guest'), "the host sees the guest's camera", DEADLINE);
      await waitVideoShown(tile(guest, 'Rae Host'), "the guest sees the host's camera", DEADLINE);
      await lookSettled(host, 'reactions-laptop-before');
      await lookSettled(guest, 'reactions-phone-before');
      // The guest is muted, so both tiles of the guest carry the Muted tag beside the name. In speaker view
      // the other person has the stage and one's own tile sits in the filmstrip: under the stage on the
      // phone, with its name label at the stage's bottom edge.
      await controls(guest).getByRole('button', { name: 'Mute', exact: true }).click();
      await tile(host, 'Rui Guest').getByText('Muted', { exact: true }).waitFor();
      for (const [page, size] of [
        [host, 'laptop'],
        [guest, 'phone'],
      ] as const) {
        await controls(page).getByRole('button', { name: 'Speaker view' }).click();
        await lookSettled(page, `reactions-${size}-speaker-view`);
      }

      for (const [size, page, other, name] of [
        ['laptop', host, guest, 'Rae Host'],
        ['phone', guest, host, 'Rui Guest'],
      ] as const) {
        const before = await tileBoxes(page);
        const beforeOther = await tileBoxes(other);

        // The bar opens over the stage: no tile moves, and the bar covers no control.
        await controls(page).getByRole('button', { name: 'React' }).click();
        const bar = page.getByRole('navigation', { name: 'Reactions' });
        await bar.waitFor();
        await page.screenshot({ path: `${ARTIFACTS}reactions-${size}-bar-open.png` });
        expect(moved(before, await tileBoxes(page)), `${size}: the bar opened`).toEqual([]);
        const barBox = (await bar.boundingBox())!;
        expect(await buttonsUnder(page, barBox), `${size}: controls under the reactions bar`).toEqual([]);
        // The bar takes the focus, so the reactions are the next keys away; Escape closes it and gives the
        // focus back to React.
        expect(
          await bar.evaluate((el) => el.contains(document.activeElement)),
          `${size}: the reactions bar has the focus`,
        ).toBe(true);
        await page.keyboard.press('Escape');
        await bar.waitFor({ state: 'detached' });
        const reactButton = controls(page).getByRole('button', { name: 'React' });
        expect(await reactButton.evaluate((el) => el === document.activeElement)).toBe(true);
        await reactButton.click();
        await bar.waitFor();

        // A reaction shows, to the sender and to the other person, and the bar closes: no tile moves on
        // either screen.
        await bar.getByRole('button', { name: 'Applause' }).click();
        await bar.waitFor({ state: 'detached' });
        const mine = page.getByRole('status', { name: 'Recent reactions' }).getByText('You: Applause');
        const theirs = other.getByRole('status', { name: 'Recent reactions' }).getByText(`${name}: Applause`);
        await mine.waitFor();
        await theirs.waitFor();
        // Where each reaction shows, read at once: it fades after a few seconds, sooner than the checks
        // below take on a loaded machine. Nothing moves meanwhile (checked), so the checks use these boxes.
        const shownBoxes = [await mine.boundingBox(), await theirs.boundingBox()];
        expect(shownBoxes, `${size}: both reactions shown`).not.toContain(null);
        await page.screenshot({ path: `${ARTIFACTS}reactions-${size}-sent.png` });
        await other.screenshot({
          path: `${ARTIFACTS}reactions-${size === 'laptop' ? 'phone' : 'laptop'}-received.png`,
        });
        expect(moved(before, await tileBoxes(page)), `${size}: a reaction was sent`).toEqual([]);
        expect(moved(beforeOther, await tileBoxes(other)), `${size}: a reaction arrived`).toEqual([]);
        for (const [p, box, screen] of [
          [page, shownBoxes[0]!, size],
          [other, shownBoxes[1]!, size === 'laptop' ? 'phone' : 'laptop'],
        ] as const) {
          expect(await buttonsUnder(p, box), `${size}: controls under the reaction`).toEqual([]);
          // Nor does it hide whose tile is whose, or who is muted.
          expect(
            await labelsUnder(p, box),
            `${size}: name labels under the reaction on the ${screen} screen`,
          ).toEqual([]);
          expect(await layoutProblems(p), `${size}: layout with a reaction shown`).toEqual([]);
        }

        // The reactions fade: still nothing moved.
        await mine.waitFor({ state: 'detached' });
        await theirs.waitFor({ state: 'detached' });
        expect(moved(before, await tileBoxes(page)), `${size}: the bar closed`).toEqual([]);
        expect(moved(beforeOther, await tileBoxes(other)), `${size}: the reaction went`).toEqual([]);
      }

      // The host leaves while the guest is still there, and is asked: leave the guest to go on, or end the
      // meeting for all. The question covers no control; Escape takes it back and nothing happens.
      const leaveHost = controls(host).getByRole('button', { name: 'Leave' });
      await leaveHost.click();
      const choice = host.getByRole('dialog', { name: 'Leave the meeting' });
      await choice.waitFor();
      expect(await leaveHost.getAttribute('aria-expanded')).toBe('true');
      await lookSettled(host, 'reactions-laptop-leave-choice');
      expect(await buttonsUnder(host, (await choice.boundingBox())!), 'controls under the question').toEqual(
        [],
      );
      // The question holds the keyboard: Tab goes round its three answers.
      const focused = () => host.evaluate(() => document.activeElement?.textContent ?? '');
      expect(await focused()).toBe('Leave meeting');
      for (const next of ['End meeting for all', 'Cancel', 'Leave meeting']) {
        await host.keyboard.press('Tab');
        expect(await focused()).toBe(next);
      }
      await host.keyboard.press('Shift+Tab');
      expect(await focused()).toBe('Cancel');
      await host.keyboard.press('Escape');
      await choice.waitFor({ state: 'detached' });
      expect(await controls(host).isVisible(), 'the host is still in the meeting').toBe(true);
      expect(
        await leaveHost.evaluate((el) => el === document.activeElement),
        'the focus is back on Leave',
      ).toBe(true);
      // Leave meeting: the host goes, the guest stays in the meeting without them.
      await leaveHost.click();
      await choice.getByRole('button', { name: 'Leave meeting' }).click();
      await host.waitForURL(/\/ended\?/);
      await tile(guest, 'Rae Host').waitFor({ state: 'detached' });
      expect(await controls(guest).isVisible(), 'the guest is still in the meeting').toBe(true);
      // The guest is told the host went and that the meeting goes on; the notice can be put away.
      const hostGone = guest
        .getByRole('status')
        .filter({ hasText: 'Rae Host (host) left the meeting. The meeting goes on.' });
      await hostGone.waitFor();
      await lookSettled(guest, 'host-left-guest');
      await hostGone.getByRole('button', { name: 'Dismiss' }).click();
      await hostGone.waitFor({ state: 'detached' });
      await controls(guest).getByRole('button', { name: 'Leave' }).click();
      await guest.waitForURL(/\/ended\?/);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'lobby decisions reach the guest and the host at once; host mute and end for all',
    async () => {
      const host = await newPage(DESKTOP, 'host2');
      const guest = await newPage(PHONE, 'guest2');
      await signUp(host, 'Hana Host', 'hana@example.com');

      // A scheduled meeting with a passcode and the lobby on; the dashboard copies a guest invite link.
      await host.getByRole('button', { name: 'Schedule a meeting' }).click();
      const form = host.getByRole('form', { name: 'Schedule a meeting' });
      await form.getByLabel('Title').fill('Weekly sync');
      await form.getByLabel('Repeats').selectOption('weekly');
      await form.getByLabel('Passcode (optional)').fill('e2e1234');
      await form.getByRole('button', { name: 'Schedule' }).click();
      const card = host.getByRole('listitem').filter({ hasText: 'Weekly sync' });
      // The link shown before an invite link is made is the members' one, and the card says so.
      await card
        .getByText('This link is for members of the organization. For guests, use Copy invite link.')
        .waitFor();
      await card.getByRole('button', { name: 'Copy invite link' }).click();
      await card.getByRole('button', { name: 'Link copied' }).waitFor();
      const link = await host.evaluate(() => navigator.clipboard.readText());
      expect(link).toContain('#invite=');
      await host.screenshot({ path: `${ARTIFACTS}lobby-desktop-dashboard.png` });
      await card.getByRole('button', { name: 'Start' }).click();
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(host);

      // With the link the guest needs no passcode, and waits in the lobby.
      await guest.goto(link);
      await guest.getByRole('heading', { name: 'Weekly sync' }).waitFor();
      expect(await guest.getByLabel('Meeting passcode').count()).toBe(0);
      await guest.getByLabel('Your name').fill('Lou Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await guest.getByText('You are in the lobby').waitFor();
      await guest.screenshot({ path: `${ARTIFACTS}lobby-phone-waiting.png` });

      // The knock is pushed to the host; the admission is pushed to the guest.
      await host.getByRole('button', { name: 'Admit Lou Guest' }).waitFor();
      await host.screenshot({ path: `${ARTIFACTS}lobby-desktop-knock.png` });
      // The host's controls, with the waiting count on Participants, stay on one row of a laptop's window.
      await controls(host).getByRole('button', { name: 'Participants (1), 1 waiting' }).waitFor();
      await host.setViewportSize(WIDE);
      expect(await controlRows(host), 'rows of controls at 1280 px').toBe(1);
      await host.screenshot({ path: `${ARTIFACTS}lobby-laptop-knock.png` });
      await host.setViewportSize(DESKTOP);
      await host.getByRole('button', { name: 'Admit Lou Guest' }).click();
      await inMeeting(guest);
      await waitVideoShown(tile(host, 'Lou Guest'), "the host sees the admitted guest's camera", DEADLINE);
      await waitVideoShown(tile(guest, 'Hana Host'), "the guest sees the host's camera", DEADLINE);
      await lookSettled(host, 'lobby-desktop-two');
      await lookSettled(guest, 'lobby-phone-two');

      // The host mutes the guest; both see it.
      await controls(host)
        .getByRole('button', { name: /^Participants/ })
        .click();
      await host.getByRole('button', { name: 'Mute Lou Guest' }).click();
      await guest.getByText('The host muted your microphone.').waitFor();
      await controls(guest).getByRole('button', { name: 'Unmute' }).waitFor();
      await tile(host, 'Lou Guest').getByText('Muted', { exact: true }).waitFor();
      await lookSettled(host, 'lobby-desktop-participants');

      // A second guest is denied: the refusal reaches them at once.
      const denied = await newPage(PHONE, 'denied');
      await denied.goto(link);
      await denied.getByLabel('Your name').fill('Nel Nope');
      await denied.getByRole('button', { name: 'Join meeting' }).click();
      await denied.getByText('You are in the lobby').waitFor();
      await host
        .getByRole('complementary', { name: 'Participants' })
        .getByRole('button', { name: 'Deny Nel Nope' })
        .click();
      await denied.getByText('A host declined your request to join.').waitFor();

      await host.getByRole('button', { name: 'End meeting for all' }).click();
      for (const p of [host, guest]) {
        await p.waitForURL(/\/ended\?/);
        await p.getByRole('heading', { name: 'The meeting has ended' }).waitFor();
      }
      expect(await videos(host).count()).toBe(0);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'the second to join sees the first sharp in a big tile; a removed guest stays out until the host allows them back',
    async () => {
      const host = await newPage(LAPTOP, 'host3');
      const guest = await newPage(LAPTOP, 'guest3');
      // The guest's page keeps the tracks it opens, so the test can end one as a device would.
      await guest.addInitScript(() => {
        const devices = navigator.mediaDevices;
        const open = devices.getUserMedia.bind(devices);
        devices.getUserMedia = async (constraints) => {
          const stream = await open(constraints);
          const w = window as unknown as { __opened?: MediaStreamTrack[] };
          (w.__opened ??= []).push(...stream.getTracks());
          return stream;
        };
      });
      await signUp(host, 'Rita Host', 'rita@example.com');
      await host.getByRole('button', { name: 'Start an instant meeting' }).click();
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(host);
      await waitVideoShown(tile(host, 'Rita Host (you)'), 'the host sees their own camera', DEADLINE);
      const link = await copyInviteLink(host);

      // The host has been alone (nobody watched their bigger layers); the guest, second to join on a
      // 1280x720 laptop, gets the host's camera at a layer that fits the big tile, not 320x180.
      await guest.goto(link);
      await guest.getByLabel('Your name').fill('Gus Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(guest);
      await waitVideoShown(tile(guest, 'Rita Host'), "the guest sees the host's camera", DEADLINE);
      const hostTile = await tile(guest, 'Rita Host').boundingBox();
      expect(hostTile!.width).toBeGreaterThanOrEqual(600);
      await waitVideoWidth(
        tile(guest, 'Rita Host'),
        (w) => w >= 640,
        "the host's camera in the second joiner's big tile",
        30_000,
      );
      await lookSettled(guest, 'second-joiner-laptop');
      await lookSettled(host, 'second-joiner-host-laptop');

      // The host removes the guest: the guest is told so, and the host sees them under Removed.
      await controls(host)
        .getByRole('button', { name: /^Participants/ })
        .click();
      const people = host.getByRole('complementary', { name: 'Participants' });
      await people.getByRole('button', { name: 'Remove Gus Guest' }).click();
      await guest.waitForURL(/\/ended\?/);
      await guest.getByRole('heading', { name: 'The host removed you from this meeting' }).waitFor();
      await tile(host, 'Gus Guest').waitFor({ state: 'detached' });
      await people.getByRole('button', { name: 'Allow back Gus Guest' }).waitFor();
      await host.screenshot({ path: `${ARTIFACTS}removed-host-allow-back.png` });

      // The guest opens the invite link again in the same browser: refused, with the reason.
      await guest.goto(link);
      await guest.getByLabel('Your name').fill('Gus Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await guest.getByText('The host removed you from this meeting.').waitFor();
      expect(await controls(guest).count()).toBe(0);
      await guest.screenshot({ path: `${ARTIFACTS}removed-guest-refused.png` });

      // The host allows the guest back; the guest's next try gets in.
      await people.getByRole('button', { name: 'Allow back Gus Guest' }).click();
      await people.getByRole('button', { name: 'Allow back Gus Guest' }).waitFor({ state: 'detached' });
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(guest);
      await waitVideoShown(tile(host, 'Gus Guest'), 'the host sees the guest again', DEADLINE);

      // The guest's camera ends without them (unplugged, taken by another app, its permission withdrawn;
      // played here as the browser does it: the track stops and fires "ended"): the guest is told what
      // happened and what to do, the camera is off on both screens, and Start video is offered.
      await tile(guest, 'Gus Guest (you)')
        .locator('video')
        .evaluate((v: HTMLVideoElement) => {
          const camera = (v.srcObject as MediaStream).getVideoTracks()[0]!;
          camera.stop();
          camera.dispatchEvent(new Event('ended'));
        });
      await guest
        .getByRole('status')
        .filter({ hasText: 'Your camera stopped' })
        .waitFor({ timeout: DEADLINE });
      await controls(guest).getByRole('button', { name: 'Start video' }).waitFor();
      await tile(host, 'Gus Guest').getByText('GG', { exact: true }).waitFor();
      await lookSettled(guest, 'camera-ended-guest-laptop');

      // The microphone ends the same way: the guest is muted and told; Unmute opens a microphone again.
      // The latest microphone the page opened is the one in use (the first join's went with it).
      const ended = await guest.evaluate(() => {
        const opened = (window as unknown as { __opened?: MediaStreamTrack[] }).__opened ?? [];
        const at = opened.findLastIndex((t) => t.kind === 'audio');
        opened[at]!.stop();
        opened[at]!.dispatchEvent(new Event('ended'));
        return at;
      });
      await guest.getByRole('status').filter({ hasText: 'Your microphone stopped' }).waitFor();
      await tile(host, 'Gus Guest').getByText('Muted', { exact: true }).waitFor();
      await controls(guest).getByRole('button', { name: 'Unmute' }).click();
      await tile(host, 'Gus Guest').getByText('Muted', { exact: true }).waitFor({ state: 'detached' });
      await guest
        .getByRole('status')
        .filter({ hasText: 'Your microphone stopped' })
        .waitFor({ state: 'detached' });
      const reopened = await guest.evaluate(() => {
        const opened = (window as unknown as { __opened?: MediaStreamTrack[] }).__opened ?? [];
        const at = opened.findLastIndex((t) => t.kind === 'audio');
        return { at, live: opened[at]?.readyState === 'live' };
      });
      expect(reopened.at, 'a new microphone was opened').toBeGreaterThan(ended);
      expect(reopened.live).toBe(true);

      // The host leaves and ends the meeting for both, from the question Leave asks while others are in it.
      await controls(host).getByRole('button', { name: 'Leave' }).click();
      await host
        .getByRole('dialog', { name: 'Leave the meeting' })
        .getByRole('button', { name: 'End meeting for all' })
        .click();
      for (const p of [host, guest]) {
        await p.waitForURL(/\/ended\?/);
        await p.getByRole('heading', { name: 'The meeting has ended' }).waitFor();
      }
      // Each is told who ended it; the guest, who has no account, is offered one as well as signing in (the
      // home page of a visitor is the sign-in page), the host their meetings.
      await host.getByText('You ended the meeting for everyone.').waitFor();
      await host.getByRole('main').getByRole('link', { name: 'Back to meetings' }).waitFor();
      await guest.getByText('The host ended the meeting for everyone.').waitFor();
      await guest
        .getByRole('main')
        .getByRole('link', { name: 'Sign up to host your own meetings' })
        .waitFor();
    },
    SCENARIO_TIMEOUT,
  );

  it('join click to first decoded remote frame, median of five runs', async () => {
    const host = await newPage(LAPTOP, 'timing-host');
    await signUp(host, 'Hal Host', 'hal@example.com');
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      // An instant meeting with a passcode and no lobby, created through the API with the host's session.
      const meetingId = await host.evaluate(async () => {
        const r = await fetch('/api/meetings', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
          body: JSON.stringify({
            title: 'Timing',
            kind: 'instant',
            passcode: 'time1234',
            lobby_enabled: false,
          }),
        });
        return ((await r.json()) as { id: string }).id;
      });
      await host.goto(`/join/${meetingId}`);
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await inMeeting(host);

      const guest = await newPage(LAPTOP, `timing-guest${run}`);
      await guest.goto(`/join/${meetingId}`);
      await guest.getByLabel('Your name').fill(`Guest ${run}`);
      await guest.getByLabel('Meeting passcode').fill('time1234');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      const m = await pollPage(
        guest,
        // Set by the client's join page (JoinPage.tsx) and meeting view.
        () =>
          (window as { __origoMetrics?: { joinClickedAt: number; firstRemoteFrameAt: number } })
            .__origoMetrics ?? { joinClickedAt: 0, firstRemoteFrameAt: 0 },
        (x) => x.firstRemoteFrameAt > 0,
        DEADLINE,
        'first remote frame',
      );
      times.push(m.firstRemoteFrameAt - m.joinClickedAt);
      await controls(guest).getByRole('button', { name: 'Leave' }).click();
      await guest.waitForURL(/\/ended\?/);
      await guest.context().close();
      await controls(host).getByRole('button', { name: 'Leave' }).click();
      await host.waitForURL(/\/ended\?/);
    }
    const sorted = [...times].sort((x, y) => x - y);
    const median = sorted[2]!;
    console.log(
      `join-to-first-frame ms: runs ${times.map((t) => t.toFixed(0)).join(', ')}; median ${median.toFixed(0)}`,
    );
    expect(times).toHaveLength(5);
    expect(median).toBeGreaterThan(0);
    // Five joins, each allowed DEADLINE for its first frame: on a loaded CI machine they took over the
    // file's 180 s default although every one succeeded.
  }, 450_000);
});
