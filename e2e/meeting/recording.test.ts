// Recording a meeting as people meet it, in Chromium through the whole platform with the recording role
// and Debian's FFmpeg: the host presses Record, both people see that the meeting is being recorded, the
// host stops it and the notice goes away for both. After the meeting the host opens its recordings from
// the meeting's card on the dashboard and plays the recording in the page. Skips without FFmpeg outside CI.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { ok } from '../lib/rest.js';
import { controls, tile, waitVideoShown } from '../lib/seen.js';
import { signUp } from '../lib/signUp.js';
import { startStack, type Stack } from '../lib/stack.js';
import { GUEST_NAME, HOST_NAME, TwoPeople } from '../lib/twoPeople.js';

const DEADLINE = 60_000;
const SCENARIO_TIMEOUT = 600_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
/** How long the meeting is recorded; the player must show about this much. */
const RECORD_MS = 6_000;

function ffmpegSkipReason(): string | undefined {
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    if (process.env['CI'] === 'true') throw new Error('FFmpeg is missing in CI (.ci/run installs it)');
    return 'FFmpeg is not installed (apt-get install ffmpeg): skipping the recording e2e test';
  }
}

const skip = ffmpegSkipReason();
if (skip !== undefined) console.warn(`[e2e recording] ${skip}`);

/**
 * Opens `link` in a fresh browser context with no session, as someone the link was sent to: the
 * navigation answers 200 and the recording plays in the browser's own player.
 */
async function playsSignedOut(browser: Browser, link: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(DEADLINE);
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    const video = page.locator('video');
    // Muted, so no autoplay policy stands in the way; a person would press play.
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(
      (v) => v !== null && (v as HTMLVideoElement).currentTime > 1 && (v as HTMLVideoElement).videoWidth > 0,
      await video.elementHandle(),
      { timeout: DEADLINE },
    );
  } finally {
    await context.close();
  }
}

const banner = (page: Page) =>
  page.getByRole('status').filter({ hasText: 'This meeting is being recorded.' });

describe.skipIf(skip !== undefined)('recording a meeting', () => {
  let browser: Browser | undefined;
  let stack: Stack | undefined;
  let people: TwoPeople | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    // An empty room ends after a second, so the meeting shows under past meetings soon after.
    stack = await startStack({ ROOM_EMPTY_GRACE_MS: '1000' });
  });

  afterEach(async (ctx) => {
    const current = people;
    people = undefined;
    if (ctx.task.result?.state === 'fail' && current !== undefined) {
      for (const { label, page } of current.pages) {
        if (page.isClosed()) continue;
        await page.screenshot({ path: `${ARTIFACTS}failed-recording-${label}.png` }).catch(() => undefined);
        const text = await page
          .locator('body')
          .innerText()
          .catch(() => '');
        console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 800)}`);
      }
    }
    await current?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it(
    'the host records, everyone is told, and the host plays the recording afterwards',
    async () => {
      // Recording is not in the free plan: the host, the installation's first account and so its
      // superadmin, moves the organization to the Pro plan before the meeting (the meeting learns at join
      // time whether the plan records, and offers Record only then).
      let orgId = '';
      let orgName = '';
      people = new TwoPeople(browser!, stack!.url, {
        deadlineMs: DEADLINE,
        beforeMeeting: async (host) => {
          const me = await ok(host, 'GET', '/api/auth/me');
          const first = (me['memberships'] as { orgId: string; orgName: string }[])[0]!;
          orgId = first.orgId;
          orgName = first.orgName;
          await ok(host, 'PUT', `/api/billing/orgs/${orgId}/subscription`, { plan_id: 'pro' });
        },
      });
      const { host, guest } = await people.meet();
      // The host's browser lets the page use the clipboard, as a person's does once they allow it; the
      // test reads back what Share link copied.
      await host.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack!.url });
      await waitVideoShown(tile(host, GUEST_NAME), "the host sees the guest's camera", DEADLINE);
      await waitVideoShown(tile(guest, HOST_NAME), "the guest sees the host's camera", DEADLINE);

      // Only the host is offered Record.
      expect(await guest.getByRole('button', { name: 'Record' }).count()).toBe(0);
      await host.getByRole('button', { name: 'Record', exact: true }).click();
      for (const page of [host, guest]) await banner(page).waitFor();
      await host.screenshot({ path: `${ARTIFACTS}recording-host.png` });
      await guest.screenshot({ path: `${ARTIFACTS}recording-guest.png` });
      expect(await banner(guest).getByRole('button').count()).toBe(0);

      const started = Date.now();
      await host.waitForTimeout(RECORD_MS);
      await banner(host).getByRole('button', { name: 'Stop recording' }).click();
      for (const page of [host, guest]) await banner(page).waitFor({ state: 'detached' });
      const recordedS = (Date.now() - started) / 1000;
      await host.getByRole('button', { name: 'Record', exact: true }).waitFor();
      // The host is told, in the meeting, when the file is ready (or why it failed).
      await host
        .getByRole('status')
        .filter({ hasText: 'The recording is ready' })
        .waitFor({ timeout: 120_000 });

      // The guest leaves first; alone, the host leaves without being asked whether to end the meeting for all.
      await controls(guest).getByRole('button', { name: 'Leave' }).click();
      await tile(host, GUEST_NAME).waitFor({ state: 'detached' });
      await controls(host).getByRole('button', { name: 'Leave' }).click();

      // Afterwards: the meeting's card on the dashboard (still live for a moment, then under past
      // meetings) leads to its recordings, which play in the page.
      await host.waitForURL(/\/ended\?/);
      await host.goto('/dashboard');
      const recordingsLink = host.getByRole('link', { name: 'Recordings of Instant meeting' }).first();
      const recordingsPath = await recordingsLink.getAttribute('href');
      await recordingsLink.click();
      await host.getByRole('heading', { name: 'Recordings of Instant meeting' }).waitFor();
      const item = host.getByRole('list', { name: 'Recordings' }).getByRole('listitem').first();
      await item.getByText(/^Ready - /).waitFor();
      await item.getByRole('button', { name: 'Play' }).click();
      const player = item.locator('video');
      await host.waitForFunction(
        (v) =>
          v !== null && (v as HTMLVideoElement).currentTime > 1 && (v as HTMLVideoElement).videoWidth > 0,
        await player.elementHandle(),
        { timeout: DEADLINE },
      );
      const shown = await player.evaluate((v: HTMLVideoElement) => ({
        width: v.videoWidth,
        height: v.videoHeight,
        duration: v.duration,
      }));
      await host.screenshot({ path: `${ARTIFACTS}recording-player.png` });
      // It streams the HLS playlist (the browser's own HLS or hls.js), not the whole MP4.
      expect(await player.getAttribute('data-source')).toBe('hls');
      expect(shown.width).toBeGreaterThan(0);
      expect(shown.height).toBeGreaterThan(0);
      // A fragmented MP4 may report its length only once read to the end; when it does, it is about the
      // time recorded (the recorder starts at the first keyframe, so a little less).
      if (Number.isFinite(shown.duration)) {
        expect(shown.duration).toBeGreaterThan(recordedS * 0.5);
        expect(shown.duration).toBeLessThan(recordedS * 1.5);
      }
      const download = await item.getByRole('link', { name: 'Download' }).getAttribute('href');
      const fetched = await host.evaluate(async (href) => {
        const r = await fetch(href ?? '');
        return {
          status: r.status,
          type: r.headers.get('content-type'),
          bytes: (await r.arrayBuffer()).byteLength,
        };
      }, download);
      expect(fetched).toMatchObject({ status: 200, type: 'video/mp4' });
      expect(fetched.bytes).toBeGreaterThan(10_000);

      // Share link puts a time-limited link on the clipboard and says so; the link plays for anyone who
      // has it, without signing in.
      await item.getByRole('button', { name: 'Share link' }).click();
      await item
        .getByRole('status')
        .filter({ hasText: /^Link copied; it works until .+\d{1,2}:\d{2}/ })
        .waitFor();
      const shareLink = await host.evaluate(() => navigator.clipboard.readText());
      expect(shareLink).toMatch(/^https?:\/\//);
      expect(await item.getByRole('textbox', { name: /^Share link of the recording/ }).inputValue()).toBe(
        shareLink,
      );
      await host.screenshot({ path: `${ARTIFACTS}recording-share-link.png` });
      // Fetched with no cookie: the whole file.
      const anonymous = await fetch(shareLink);
      expect(anonymous.status).toBe(200);
      expect((await anonymous.arrayBuffer()).byteLength).toBe(fetched.bytes);
      // Opened in a browser that never signed in: it answers 200 and the recording plays there.
      await playsSignedOut(browser!, shareLink);

      // Where the browser refuses the clipboard, the link is shown selected with word to copy it by hand,
      // and that link works too.
      await host.evaluate(() => {
        Object.defineProperty(navigator.clipboard, 'writeText', {
          configurable: true,
          value: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')),
        });
      });
      await item.getByRole('button', { name: 'Share link' }).click();
      await item
        .getByRole('status')
        .filter({ hasText: /^Copying is blocked here: the link below is selected, copy it by hand\./ })
        .waitFor();
      const field = item.getByRole('textbox', { name: /^Share link of the recording/ });
      const selected = await field.evaluate((input: HTMLInputElement) => ({
        focused: document.activeElement === input,
        readOnly: input.readOnly,
        selection: input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0),
        value: input.value,
      }));
      expect(selected.value).toMatch(/^https?:\/\//);
      expect(selected).toMatchObject({ focused: true, readOnly: true, selection: selected.value });
      await host.screenshot({ path: `${ARTIFACTS}recording-share-link-by-hand.png` });
      const byHand = await fetch(selected.value);
      expect(byHand.status).toBe(200);
      expect((await byHand.arrayBuffer()).byteLength).toBe(fetched.bytes);

      // The organization's admin (the host signed it up) sets how long its recordings are kept.
      await host.goto('/admin');
      await host.getByRole('tab', { name: 'Recordings' }).click();
      await host.getByRole('radio', { name: /Delete recordings after/ }).check();
      await host.getByRole('spinbutton', { name: 'Days to keep recordings' }).fill('30');
      await host.getByRole('button', { name: 'Save' }).click();
      await host.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await host.screenshot({ path: `${ARTIFACTS}recording-retention.png` });
      await host.reload();
      await host.getByRole('tab', { name: 'Recordings' }).click();
      await expect
        .poll(() => host.getByRole('spinbutton', { name: 'Days to keep recordings' }).inputValue())
        .toBe('30');

      // A member of the organization who did not host the meeting opens its recordings page: the page says,
      // in the recording service's words, that only the host or an admin may, and whom to ask, in place of
      // the list (not a lasting "Loading recordings"), and nothing fails unhandled in the page.
      const memberContext = await browser!.newContext({
        viewport: { width: 1280, height: 720 },
        baseURL: stack!.url,
      });
      try {
        const member = await memberContext.newPage();
        member.setDefaultTimeout(DEADLINE);
        const pageErrors: string[] = [];
        member.on('pageerror', (error) => pageErrors.push(error.message));
        await signUp(member, 'Mia Member', 'mia@example.com');
        await ok(host, 'POST', `/api/orgs/${orgId}/members`, { email: 'mia@example.com', role: 'member' });
        expect(recordingsPath).toMatch(/^\/meetings\/.+\/recordings$/);
        await member.goto(recordingsPath!);
        await member
          .getByRole('alert')
          .filter({
            hasText: /Only the meeting host or an admin may manage recordings\. Ask the meeting's host/,
          })
          .waitFor();
        expect(await member.getByText('Loading recordings').count()).toBe(0);
        await member.screenshot({ path: `${ARTIFACTS}recording-not-host.png` });
        // On her dashboard she picks the host's organization (she is in two now): the meeting is among its
        // past meetings with its chat, and without a Recordings link that would only lead to that refusal.
        await member.goto('/dashboard');
        await member.getByLabel('Organization').selectOption({ label: orgName });
        const past = member.getByRole('region', { name: 'Past meetings' });
        await past
          .getByRole('link', { name: /^Chat of Instant meeting/ })
          .first()
          .waitFor();
        expect(await past.getByRole('link', { name: /^Recordings of/ }).count()).toBe(0);
        await member.screenshot({ path: `${ARTIFACTS}recording-member-dashboard.png` });
        expect(pageErrors).toEqual([]);
      } finally {
        await memberContext.close();
      }
    },
    SCENARIO_TIMEOUT,
  );
});
