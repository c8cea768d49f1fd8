// The plan's limits as people meet them, in Chromium through the whole platform with the billing role:
// a free organization's meeting holds 100 people and the 101st is told which limit refused them and how
// to raise it; the plan's length cap warns everyone in the meeting, then ends it for all with a page that
// says why. And an organization admin ends a live meeting from the admin dashboard. The crowd joins
// without browsers (lib/crowd.ts); the people whose screens are checked are in Chromium.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { joinCrowd, type CrowdMember, type Json } from '../lib/crowd.js';
import { ok } from '../lib/rest.js';
import { controls, layoutProblems, tile, waitVideoShown } from '../lib/seen.js';
import { startStack, type Stack } from '../lib/stack.js';
import { GUEST_NAME, HOST_NAME, TwoPeople } from '../lib/twoPeople.js';
import { waitUntil } from '../lib/wait.js';
import { signUp } from '../lib/signUp.js';

const DEADLINE = 60_000;
const SCENARIO_TIMEOUT = 600_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const LAPTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };
/** The free plan's participant cap (platform/billing seeds it). */
const FREE_CAP = 100;
/** People in Chromium in the full meeting: the host and one guest; the crowd makes up the rest. */
const CROWD = FREE_CAP - 2;
/** Crowd joins under way at once: fast, without a burst a two-core machine would queue up. */
const CROWD_CONCURRENCY = 8;
/** Control looks at live meetings' length caps this often (platform/control/src/time-caps.ts). */
const SWEEP_MS = 15_000;

let stack: Stack | undefined;
let browser: Browser | undefined;
/** The first account of the installation, so the platform's superadmin, who edits plans. */
let superadmin: Page | undefined;
/** Contexts and pages of the running test, closed after it; the pages are screenshot when it fails. */
let contexts: BrowserContext[] = [];
let pages: Array<{ label: string; page: Page }> = [];
let crowd: CrowdMember[] = [];
let people: TwoPeople | undefined;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  stack = await startStack();
  superadmin = await newPage(LAPTOP, 'superadmin');
  await signUp(superadmin, 'Sam Super', 'sam@example.com');
  // Kept for the whole file, unlike the pages of each test.
  contexts = [];
  pages = [];
});

afterEach(async (ctx) => {
  const current = [...pages, ...(people?.pages ?? [])];
  pages = [];
  if (ctx.task.result?.state === 'fail') {
    for (const { label, page } of current) {
      if (page.isClosed()) continue;
      await page.screenshot({ path: `${ARTIFACTS}failed-billing-${label}.png` }).catch(() => undefined);
      const text = await page
        .locator('body')
        .innerText()
        .catch(() => '');
      console.error(`[${label}] at failure, ${page.url()}:\n${text.slice(0, 600)}`);
    }
  }
  for (const member of crowd) member.close();
  await Promise.all(crowd.map((m) => m.closed));
  crowd = [];
  for (const c of contexts) await c.close().catch(() => undefined);
  contexts = [];
  await people?.close();
  people = undefined;
});

afterAll(async () => {
  await superadmin?.context().close();
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
    ...(storageState === undefined ? {} : { storageState }),
  });
  await context.grantPermissions(['camera', 'microphone'], { origin: stack!.url });
  contexts.push(context);
  const page = await context.newPage();
  watch(page, label);
  return page;
}

function watch(page: Page, label: string): void {
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  page.on('dialog', (d) => void d.accept());
  pages.push({ label, page });
}

/** A screenshot for the record, then the meeting's layout checks on the same screen. */
async function lookAtMeeting(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
  expect(await layoutProblems(page), name).toEqual([]);
}

const timeLimitBanner = (page: Page) =>
  page.getByRole('status').filter({ hasText: /^This meeting ends (now|within a minute|in \d+ minutes)/ });

describe('plan limits and the admin dashboard', () => {
  it(
    "a free organization's meeting: the 101st person is told the plan's limit; the length cap warns everyone, then ends it for all",
    async () => {
      const host = await newPage(LAPTOP, 'host');
      await signUp(host, 'Fay Free', 'fay@example.com');
      // The meeting's own cap is set above the plan's, so the free plan's 100 is the limit reached (a
      // meeting made in the page gets a cap of 100 of its own, which refuses first as "The meeting is full").
      const meeting = await ok(host, 'POST', '/api/meetings', {
        title: 'All hands',
        kind: 'instant',
        lobby_enabled: false,
        participant_cap: 300,
      });
      const meetingId = String(meeting['id']);
      const link = String(
        (await ok(host, 'POST', `/api/meetings/${meetingId}/invite-links`, {}))['invite_url'],
      );
      const inviteToken = new URL(link).hash.replace(/^#invite=/, '');
      expect(inviteToken).not.toBe('');

      await host.goto(`/join/${meetingId}`);
      await host.getByRole('button', { name: 'Join meeting' }).click();
      await controls(host).waitFor();
      const guest = await newPage(PHONE, 'guest');
      await guest.goto(link);
      await guest.getByLabel('Your name').fill('Gil Guest');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      await controls(guest).waitFor();

      const started = Date.now();
      await joinCrowd({
        baseUrl: stack!.url,
        meetingId,
        inviteToken,
        count: CROWD,
        concurrency: CROWD_CONCURRENCY,
        nameOf: crowdName,
        deadlineMs: DEADLINE,
        into: crowd,
      });
      console.log(`${CROWD} crowd joins in ${Date.now() - started} ms (${CROWD_CONCURRENCY} at a time)`);
      // Control counts the meeting's participants from signaling's room events: it has all 100.
      await host.getByText(`${FREE_CAP} in the meeting`, { exact: true }).waitFor();
      await waitUntil(
        async () => (await ok(host, 'GET', `/api/meetings/${meetingId}`))['participant_count'] === FREE_CAP,
        DEADLINE,
        `control to count ${FREE_CAP} participants`,
      );
      await lookAtMeeting(host, 'billing-full-meeting-laptop');
      await lookAtMeeting(guest, 'billing-full-meeting-phone');

      // The 101st, on a laptop and on a phone: refused before the meeting, with the limit and the way up.
      for (const [viewport, label] of [
        [LAPTOP, 'laptop'],
        [PHONE, 'phone'],
      ] as const) {
        const late = await newPage(viewport, `101st-${label}`);
        await late.goto(link);
        await late.getByRole('heading', { name: 'All hands' }).waitFor();
        await late.getByLabel('Your name').fill('Lea Late');
        await late.getByRole('button', { name: 'Join meeting' }).click();
        // Which limit (the Free plan's 100 participants) and how to raise it (a larger plan).
        const refusal = late.getByRole('alert').filter({ hasText: 'Free plan' });
        await refusal.waitFor();
        const text = await refusal.innerText();
        expect(text).toMatch(new RegExp(`\\b${FREE_CAP}-participant limit\\b`));
        expect(text).toMatch(/To raise it, the organization needs a larger plan/);
        expect(await controls(late).count()).toBe(0);
        await late.screenshot({ path: `${ARTIFACTS}billing-101st-refused-${label}.png` });
      }
      expect((await ok(host, 'GET', `/api/meetings/${meetingId}`))['participant_count']).toBe(FREE_CAP);

      // The superadmin shortens the free plan's meeting length through the billing REST, so that this
      // meeting's end is between half a minute and a minute and a half away: the warning (5 minutes
      // before) is due at control's next sweep, and the end follows at the cap.
      const plans = (await ok(superadmin!, 'GET', '/api/billing/plans'))['items'] as Json[];
      const free = plans.find((p) => p['id'] === 'free');
      expect(free, 'the seeded free plan').toBeDefined();
      const editable = planBody(free!);
      const live = await ok(host, 'GET', `/api/meetings/${meetingId}`);
      const elapsed = Date.now() - Date.parse(String(live['started_at']));
      const minutes = Math.max(1, Math.ceil((elapsed + 30_000) / 60_000));
      await ok(superadmin!, 'PUT', '/api/billing/plans/free', { ...editable, max_meeting_minutes: minutes });
      try {
        const capped = Date.now();
        for (const [page, label] of [
          [host, 'laptop'],
          [guest, 'phone'],
        ] as const) {
          const banner = timeLimitBanner(page);
          await banner.waitFor({ timeout: 2 * SWEEP_MS + DEADLINE });
          const words = await banner.innerText();
          expect(words).toContain(
            `the Free plan allows meetings of ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          );
          expect(words).toContain(
            'Start a new meeting to go on. For longer meetings, the organization needs a larger plan, which ' +
              'the operator of this Origo installation sets in Admin, Plan and usage.',
          );
          expect(await banner.isVisible()).toBe(true);
          await lookAtMeeting(page, `time-limit-warning-${label}`);
        }
        console.log(`length-cap warning shown ${Date.now() - capped} ms after the plan change`);
        for (const member of crowd) {
          const warned = await member.next((m) => 'timeLimitWarning' in m, DEADLINE, 'length-cap warning');
          expect(warned['timeLimitWarning']).toMatchObject({ limitMinutes: minutes, planName: 'Free' });
        }

        // The cap: the meeting ends for everyone, and each person is told why.
        const endsWithin = minutes * 60_000 - elapsed + 2 * SWEEP_MS + DEADLINE;
        for (const [page, label] of [
          [host, 'laptop'],
          [guest, 'phone'],
        ] as const) {
          await page.waitForURL(/\/ended\?reason=time_limit/, { timeout: endsWithin });
          await page.getByRole('heading', { name: "The meeting ended at its plan's time limit" }).waitFor();
          await page
            .getByText(
              `The Free plan of the host's organization allows meetings of up to ${minutes} minute` +
                `${minutes === 1 ? '' : 's'}, so the meeting ended for everyone.`,
            )
            .waitFor();
          await page
            .getByText(
              'the organization needs a larger plan, which the operator of this Origo installation sets',
            )
            .waitFor();
          expect(await page.getByRole('link', { name: 'Rejoin' }).count()).toBe(0);
          await page.screenshot({ path: `${ARTIFACTS}time-limit-ended-${label}.png` });
        }
        console.log(`meeting ended ${Date.now() - capped} ms after the plan change`);
        for (const member of crowd) {
          const ended = await member.next((m) => 'roomEnded' in m, DEADLINE, 'the end of the meeting');
          expect(ended['roomEnded']).toMatchObject({ reason: 'ROOM_END_REASON_TIME_LIMIT' });
        }
        await Promise.all(crowd.map((m) => m.closed));
        expect((await ok(host, 'GET', `/api/meetings/${meetingId}`))['state']).not.toBe('live');
      } finally {
        await ok(superadmin!, 'PUT', '/api/billing/plans/free', editable);
      }
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'an organization admin sees the live meeting with its two people in the admin dashboard and ends it for both',
    async () => {
      people = new TwoPeople(browser!, stack!.url, { deadlineMs: DEADLINE });
      const { host, guest } = await people.meet();
      await waitVideoShown(tile(host, GUEST_NAME), "the host sees the guest's camera", DEADLINE);
      await waitVideoShown(tile(guest, HOST_NAME), "the guest sees the host's camera", DEADLINE);

      // The host is their organization's admin (it was made at sign-up); the dashboard in another tab.
      const admin = await host.context().newPage();
      watch(admin, 'admin');
      const phoneAdmin = await newPage(PHONE, 'admin-phone', await host.context().storageState());
      for (const [page, label] of [
        [phoneAdmin, 'phone'],
        [admin, 'laptop'],
      ] as const) {
        await page.goto('/admin');
        await page.getByRole('tab', { name: 'Live rooms' }).click();
        const row = page.getByRole('row', { name: 'Instant meeting' });
        // The tab refreshes on its own: it comes to list both people by name.
        const listed = row.getByRole('list', { name: 'Participants of Instant meeting' });
        await listed.getByRole('listitem', { name: HOST_NAME }).waitFor();
        await listed.getByRole('listitem', { name: GUEST_NAME }).waitFor();
        // With both cameras on, the room's bitrate reads above zero once two readings were taken, and so
        // does what each person sends to the SFU and receives from it.
        await row.getByText(/^in [1-9][\d.,]* [kM]bit\/s$/).waitFor({ timeout: 30_000 });
        for (const name of [HOST_NAME, GUEST_NAME])
          await listed
            .getByRole('listitem', { name })
            .getByText(/^sends [1-9][\d.,]* [kM]bit\/s, receives [1-9][\d.,]* [kM]bit\/s$/)
            .waitFor({ timeout: 30_000 });
        // The admin is the host here: they are offered no Remove for themselves, only for the guest.
        expect(await listed.getByRole('button', { name: `Remove ${HOST_NAME}` }).count()).toBe(0);
        expect(
          await listed.getByRole('button', { name: `Remove ${GUEST_NAME} from Instant meeting` }).count(),
        ).toBe(1);
        await page.screenshot({ path: `${ARTIFACTS}admin-live-rooms-${label}.png`, fullPage: true });
      }

      const row = admin.getByRole('row', { name: 'Instant meeting' });
      // Removing someone asks first, and Cancel keeps them.
      await row.getByRole('button', { name: `Remove ${GUEST_NAME} from Instant meeting` }).click();
      // The meeting is titled by when it was started ("Instant meeting, 2 Dec, 14:05").
      const confirm = row.getByRole('group', {
        name: new RegExp(`^Remove ${GUEST_NAME} from Instant meeting, .+\\?$`),
      });
      expect(await confirm.getByRole('button', { name: `Remove ${GUEST_NAME}`, exact: true }).count()).toBe(
        1,
      );
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      await row.getByRole('listitem', { name: GUEST_NAME }).waitFor();
      await row.getByRole('button', { name: 'End room Instant meeting' }).click();
      // The dashboard asks once more, in the row, before it ends a meeting for everyone.
      await row.getByRole('button', { name: 'Confirm end room Instant meeting' }).click();
      for (const page of [host, guest]) {
        await page.waitForURL(/\/ended\?reason=room_ended/);
        await page.getByRole('heading', { name: 'The meeting has ended' }).waitFor();
      }
      await row.waitFor({ state: 'detached' });
      await admin.getByText('No meeting is live right now.').waitFor();
      await admin.screenshot({ path: `${ARTIFACTS}admin-live-rooms-ended-laptop.png` });
    },
    SCENARIO_TIMEOUT,
  );
});

const FIRST_NAMES = 'Ada Ben Cleo Dev Ema Finn Gia Hugo Ines Jon Kai Lina Max Nora'.split(' ');
const LAST_NAMES = 'Berg Costa Dahl Ito Lund Moreau Novak'.split(' ');

/** Distinct names for the crowd (14 first names by 7 last names), as people have them: tiles show initials. */
function crowdName(i: number): string {
  const first = FIRST_NAMES[i % FIRST_NAMES.length]!;
  return `${first} ${LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]!}`;
}

/** The writable fields of a plan as GET returns it, for PUT: the same names without its id and who/when. */
function planBody(plan: Json): Json {
  return Object.fromEntries(
    Object.entries(plan).filter(([k]) => k !== 'id' && !k.endsWith('_at') && !k.endsWith('_by')),
  );
}
