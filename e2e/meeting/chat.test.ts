// Chat, reactions and raised hands as two people see them, in Chromium through the whole platform: a host
// and a guest write to each other (markup shows as typed, a private message reaches only its recipient),
// react, and the guest raises a hand that the host sees in order and lowers. Meanwhile the host's dashboard
// shows the host in the meeting; once the meeting ended the host opens its chat from the dashboard's past
// meetings and reads it there. Found by visible labels.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { controls, copyInviteLink, layoutProblems, tile, waitVideoShown, type Box } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { signUp } from '../lib/signUp.js';

const DEADLINE = 60_000;
const SCENARIO_TIMEOUT = 600_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 720 };
const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The chat service's limit (platform/chat CHAT_MAX_MESSAGE_BYTES, 4096 by default). */
const MAX_MESSAGE = 4096;
const XSS = '<img src=x onerror="window.__chatXss=1"><script>window.__chatXss=2</script> & co';

let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
let pages: Array<{ label: string; page: Page }> = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  // An empty room ends after a second, so the meeting shows under past meetings soon after everyone left.
  stack = await startStack({ ROOM_EMPTY_GRACE_MS: '1000' });
});

afterEach(async (ctx) => {
  const current = pages;
  pages = [];
  if (ctx.task.result?.state !== 'fail') return;
  for (const { label, page } of current) {
    if (page.isClosed()) continue;
    await page.screenshot({ path: `${ARTIFACTS}failed-chat-${label}.png` }).catch(() => undefined);
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 800)}`);
  }
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newPage(label: string, viewport = LAPTOP): Promise<Page> {
  const context = await browser!.newContext({ viewport, baseURL: stack!.url });
  await context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], {
    origin: stack!.url,
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  page.on('dialog', (d) => void d.accept());
  pages.push({ label, page });
  return page;
}

/** Layout settles after a panel opens: wait until the checks pass, then record the screen. */
async function lookSettled(page: Page, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let problems = await layoutProblems(page);
  while (problems.length > 0 && Date.now() < deadline) {
    await page.waitForTimeout(200);
    problems = await layoutProblems(page);
  }
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
  expect(problems, name).toEqual([]);
}

/** `inner` lies wholly inside `outer` (half a pixel of rounding allowed). */
function within(inner: Box, outer: Box): boolean {
  return (
    inner.x >= outer.x - 0.5 &&
    inner.y >= outer.y - 0.5 &&
    inner.x + inner.width <= outer.x + outer.width + 0.5 &&
    inner.y + inner.height <= outer.y + outer.height + 0.5
  );
}

describe('chat, reactions and raised hands in a meeting', () => {
  it(
    'an over-long message says how far over the limit it is, at laptop and phone sizes',
    async () => {
      const page = await newPage('limit', WIDE);
      await signUp(page, 'Cleo Long', 'cleo.limit@example.com');
      await page.getByRole('button', { name: 'Start an instant meeting' }).click();
      await page.getByRole('button', { name: 'Join meeting' }).click();
      await controls(page).waitFor();
      await controls(page).getByRole('button', { name: 'Chat', exact: true }).click();
      const panel = page.getByRole('complementary', { name: 'Chat' });
      const input = panel.getByRole('textbox', { name: 'Message' });
      const send = panel.getByRole('button', { name: 'Send' });

      // Near the limit the composer counts down; one character past it, it says so and Send is off.
      await input.fill('a'.repeat(MAX_MESSAGE - 1));
      await panel.getByText('1 character left', { exact: true }).waitFor();
      expect(await send.isEnabled()).toBe(true);
      await input.press('End');
      await input.pressSequentially('bc');
      const oneOver = panel.getByText(
        `1 character too long; messages can be at most ${MAX_MESSAGE} characters`,
        {
          exact: true,
        },
      );
      await oneOver.waitFor();
      expect(await send.isDisabled()).toBe(true);
      // A screen reader is told when the message passes the limit, not the count at every keystroke.
      const spoken = panel.locator('.chat-send [aria-live]');
      expect(await spoken.innerText()).toBe(
        'The message is over the length limit and cannot be sent until it is shorter.',
      );
      expect(await panel.locator('#chat-length').getAttribute('aria-live')).toBeNull();
      await input.press('Backspace');
      await oneOver.waitFor({ state: 'detached' });
      await panel.getByText('0 characters left', { exact: true }).waitFor();
      expect(await send.isEnabled()).toBe(true);

      // Accented letters and CJK characters take more of the limit (2 and 3 bytes of UTF-8), yet the
      // counter keeps counting characters: those of the kind written that still fit, never bytes.
      const counter = panel.locator('#chat-length');
      await input.fill('é'.repeat(2000));
      await panel.getByText('48 characters left', { exact: true }).waitFor();
      expect(await send.isEnabled()).toBe(true);
      await input.fill('日'.repeat(1340));
      await panel.getByText('25 characters left', { exact: true }).waitFor();
      expect(await send.isEnabled()).toBe(true);
      await input.fill('é'.repeat(2049));
      await panel
        .getByText(
          `1 character too long; 2048 characters of this message fit (${MAX_MESSAGE} plain letters do; ` +
            'accented letters, symbols and other scripts take more room)',
          { exact: true },
        )
        .waitFor();
      expect(await send.isDisabled()).toBe(true);
      expect(await input.getAttribute('aria-invalid')).toBe('true');
      await input.press('End');
      await input.press('Backspace');
      await panel.getByText('0 characters left', { exact: true }).waitFor();
      expect(await send.isEnabled()).toBe(true);
      expect(await counter.innerText()).not.toMatch(/byte/i);

      // Far over: the notice says by how much, readable and inside the panel, at both sizes.
      await input.fill('a'.repeat(MAX_MESSAGE + 312));
      const notice = panel.getByText(
        `312 characters too long; messages can be at most ${MAX_MESSAGE} characters`,
        { exact: true },
      );
      for (const [size, viewport] of [
        ['laptop', WIDE],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(viewport);
        await notice.waitFor();
        expect(await send.isDisabled(), size).toBe(true);
        const noticeBox = await notice.boundingBox();
        const panelBox = await panel.boundingBox();
        const sendBox = await send.boundingBox();
        expect(noticeBox, size).not.toBeNull();
        expect(
          within(noticeBox!, panelBox!),
          `${size}: the notice ${JSON.stringify(noticeBox)} is inside the panel ${JSON.stringify(panelBox)}`,
        ).toBe(true);
        expect(within(noticeBox!, { x: 0, y: 0, ...viewport }), `${size}: the notice is in the window`).toBe(
          true,
        );
        expect(within(sendBox!, { x: 0, y: 0, ...viewport }), `${size}: Send is in the window`).toBe(true);
        // Readable: real text size, not clipped to nothing, and not drawn over Send.
        const style = await notice.evaluate((el) => {
          const cs = getComputedStyle(el);
          return {
            fontSize: parseFloat(cs.fontSize),
            visibility: cs.visibility,
            opacity: Number(cs.opacity),
          };
        });
        expect(style.fontSize, size).toBeGreaterThanOrEqual(12);
        expect(style.visibility, size).toBe('visible');
        expect(style.opacity, size).toBe(1);
        expect(noticeBox!.height, size).toBeGreaterThan(10);
        const overlapsSend =
          noticeBox!.x < sendBox!.x + sendBox!.width &&
          sendBox!.x < noticeBox!.x + noticeBox!.width &&
          noticeBox!.y < sendBox!.y + sendBox!.height &&
          sendBox!.y < noticeBox!.y + noticeBox!.height;
        expect(overlapsSend, `${size}: the notice does not cover Send`).toBe(false);
        await page.screenshot({ path: `${ARTIFACTS}chat-limit-${size}.png` });
      }

      // Cut back to the limit: the notice goes, Send comes back, and the service takes the message.
      await input.fill('a'.repeat(MAX_MESSAGE));
      await notice.waitFor({ state: 'detached' });
      expect(await send.isEnabled()).toBe(true);
      await send.click();
      await panel
        .getByRole('log', { name: 'Chat messages' })
        .getByText('a'.repeat(MAX_MESSAGE), { exact: true })
        .waitFor();
      expect(await input.inputValue()).toBe('');
      await page.screenshot({ path: `${ARTIFACTS}chat-limit-sent-phone.png` });
      await controls(page).getByRole('button', { name: 'Leave' }).click();
      await page.waitForURL(/\/ended\?/);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'two people chat, react, and the host lowers the raised hand',
    async () => {
      const host = await newPage('host');
      const guest = await newPage('guest');

      await signUp(host, 'Ann Host', 'ann.chat@example.com');
      await host.getByRole('button', { name: 'Start an instant meeting' }).click();
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await controls(host).waitFor();

      const link = await copyInviteLink(host);

      await guest.goto(link);
      await guest.getByLabel('Your name').fill('Gil Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await controls(guest).waitFor();
      await waitVideoShown(tile(host, 'Gil Guest'), "the host sees the guest's camera", DEADLINE);

      // The guest writes; the host's Chat button counts it as unread.
      await controls(guest).getByRole('button', { name: 'Chat', exact: true }).click();
      const guestChat = guest.getByRole('complementary', { name: 'Chat' });
      // An empty chat says so, and what it is for; the line goes with the first message.
      const empty = guestChat.getByText('No messages yet.', { exact: false });
      await empty.waitFor();
      await guestChat.getByRole('textbox', { name: 'Message' }).fill(XSS);
      await guestChat.getByRole('button', { name: 'Send' }).click();
      await empty.waitFor({ state: 'detached' });
      await guestChat
        .getByRole('textbox', { name: 'Message' })
        .fill('Hello, see https://example.org/agenda.');
      await guestChat.getByRole('textbox', { name: 'Message' }).press('Enter');
      await controls(host).getByRole('button', { name: 'Chat (2 unread)' }).waitFor();

      // The host opens the chat: the panel sits beside the stage, the markup shows as typed.
      await controls(host).getByRole('button', { name: /^Chat/ }).click();
      const hostChat = host.getByRole('complementary', { name: 'Chat' });
      const hostLog = hostChat.getByRole('log', { name: 'Chat messages' });
      await hostLog.getByText(XSS, { exact: true }).waitFor();
      await hostLog.getByRole('link', { name: 'https://example.org/agenda' }).waitFor();
      expect(await hostLog.locator('img, script').count()).toBe(0);
      expect(
        await host.evaluate(() => (window as unknown as { __chatXss?: number }).__chatXss),
      ).toBeUndefined();
      await controls(host).getByRole('button', { name: 'Chat', exact: true }).waitFor();
      await lookSettled(host, 'chat-laptop-host-panel');

      // A private message from the host reaches the guest, marked as private.
      await hostChat.getByLabel('To', { exact: true }).selectOption({ label: 'Gil Guest' });
      await hostChat.getByRole('textbox', { name: 'Message' }).fill('Only for you, Gil');
      await hostChat.getByRole('button', { name: 'Send' }).click();
      const guestLog = guestChat.getByRole('log', { name: 'Chat messages' });
      await guestLog.getByText('Only for you, Gil', { exact: true }).waitFor();
      await guestLog.getByText('to you (private)').waitFor();

      // The guest edits its message; the host sees the new text.
      await guestLog.getByRole('button', { name: 'Edit message 2' }).click();
      await guestChat.getByRole('textbox', { name: 'Message' }).fill('Hello again');
      await guestChat.getByRole('button', { name: 'Save' }).click();
      await hostLog.getByText('Hello again', { exact: true }).waitFor();
      await lookSettled(guest, 'chat-laptop-guest-panel');

      // The guest reacts: the host sees it in words.
      await controls(guest).getByRole('button', { name: 'React' }).click();
      await guest
        .getByRole('navigation', { name: 'Reactions' })
        .getByRole('button', { name: 'Applause' })
        .click();
      await host.getByRole('status', { name: 'Recent reactions' }).getByText('Gil Guest: Applause').waitFor();

      // The guest raises a hand; the host sees it and lowers it.
      await controls(guest).getByRole('button', { name: 'Raise hand' }).click();
      const hands = host.getByRole('region', { name: 'Raised hands' });
      await hands.getByText('Gil Guest').waitFor();
      await controls(host).waitFor();
      // The participants list says so too.
      await controls(host)
        .getByRole('button', { name: /^Participants/ })
        .click();
      const people = host.getByRole('complementary', { name: /^Participants/ });
      await people
        .getByRole('listitem')
        .filter({ hasText: 'Gil Guest' })
        .getByText(', hand raised')
        .waitFor();
      await lookSettled(host, 'chat-laptop-host-raised-hand');
      // Back to the chat panel, which the rest of the scenario types in.
      await controls(host).getByRole('button', { name: /^Chat/ }).click();
      await hostChat.waitFor();
      await hands.getByRole('button', { name: 'Lower hand of Gil Guest' }).click();
      await hands.waitFor({ state: 'detached' });
      await controls(guest).getByRole('button', { name: 'Raise hand' }).waitFor();

      // The history is also served over REST through the gateway: the host's session, checked by control.
      const meetingId = /\/join\/([^#?]+)/.exec(link)?.[1] ?? '';
      const history = await host.evaluate(async (id) => {
        const r = await fetch(`/api/chat/meetings/${id}/messages`);
        return { status: r.status, body: (await r.json()) as { messages: Array<{ text: string }> } };
      }, meetingId);
      expect(history.status).toBe(200);
      expect(history.body.messages.map((m) => m.text)).toEqual([XSS, 'Hello again', 'Only for you, Gil']);

      // The host leaves a link for later, and the dashboard (another tab) shows the host in the meeting.
      await hostChat.getByLabel('To', { exact: true }).selectOption({ label: 'Everyone' });
      await hostChat.getByRole('textbox', { name: 'Message' }).fill('Notes at https://example.org/notes');
      await hostChat.getByRole('button', { name: 'Send' }).click();
      await guestLog.getByText('Notes at', { exact: false }).waitFor();
      const dashboard = await host.context().newPage();
      await dashboard.goto('/dashboard');
      await dashboard
        .getByRole('region', { name: 'Who is around' })
        // An instant meeting is titled by when it was started, e.g. "Instant meeting, 2 Dec, 14:05".
        .getByText(/^In a meeting now: Ann Host \(you\) in Instant meeting, .+$/)
        .waitFor();
      await dashboard.close();

      // The guest leaves first; alone, the host leaves without being asked whether to end the meeting for all.
      await controls(guest).getByRole('button', { name: 'Leave' }).click();
      await tile(host, 'Gil Guest').waitFor({ state: 'detached' });
      await controls(host).getByRole('button', { name: 'Leave' }).click();
      await host.waitForURL(/\/ended\?/);

      // After the meeting: the host finds it under past meetings (once the empty room closed) and reads
      // its chat there, as typed and with the link as a link.
      await host.goto('/dashboard');
      const chatLink = host
        .getByRole('region', { name: 'Past meetings' })
        .getByRole('link', { name: 'Chat of Instant meeting' });
      const deadline = Date.now() + DEADLINE;
      while ((await chatLink.count()) === 0 && Date.now() < deadline) {
        await host.waitForTimeout(1000);
        await host.reload();
      }
      await chatLink.click();
      await host.getByRole('heading', { name: 'Chat of Instant meeting' }).waitFor();
      const transcript = host.getByRole('list', { name: 'Chat transcript' });
      await transcript.getByText('Notes at').waitFor();
      expect(await transcript.locator('.chat-text').allInnerTexts()).toEqual([
        XSS,
        'Hello again',
        'Only for you, Gil',
        'Notes at https://example.org/notes',
      ]);
      await transcript.getByText('to Gil Guest (private)').waitFor();
      await transcript.getByRole('link', { name: 'https://example.org/notes' }).waitFor();
      expect(await transcript.locator('img, script').count()).toBe(0);
      expect(
        await host.evaluate(() => (window as unknown as { __chatXss?: number }).__chatXss),
      ).toBeUndefined();
      await host.screenshot({ path: `${ARTIFACTS}chat-transcript-after-meeting.png` });
    },
    SCENARIO_TIMEOUT,
  );
});
