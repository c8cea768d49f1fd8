// Issue 5 acceptance: the built web client through the whole platform in Chromium with fake devices.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lib/chromium.js';
import { startStack, type Stack } from '../lib/stack.js';
import { pollPage } from '../lib/wait.js';

const DEADLINE = 60_000;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
let stack: Stack | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

interface Decoded {
  camera: number;
  screen: number;
  byName: Record<string, number>;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newPage(viewport: { width: number; height: number }, label: string): Promise<Page> {
  const context = await browser!.newContext({ viewport, baseURL: stack!.url });
  await context.grantPermissions(['camera', 'microphone'], { origin: stack!.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      console.error(`[${label}] console ${m.type()}: ${m.text()}`);
  });
  page.on('dialog', (d) => void d.accept());
  return page;
}

const decoded = (page: Page) =>
  page.evaluate(() => window.__origoRoom?.decoded() ?? { camera: 0, screen: 0, byName: {} });

async function waitDecoded(page: Page, what: string, done: (d: Decoded) => boolean): Promise<Decoded> {
  return pollPage(
    page,
    () => window.__origoRoom?.decoded() ?? { camera: 0, screen: 0, byName: {} },
    done,
    DEADLINE,
    what,
  );
}

async function signUp(page: Page, name: string, email: string): Promise<void> {
  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase 42');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Meetings' }).waitFor();
}

describe('web client end to end', () => {
  it('schedule, lobby, admit, video both ways, screen share, host mute, end for all', async () => {
    const a = await newPage({ width: 1280, height: 800 }, 'A');
    const b = await newPage({ width: 375, height: 740 }, 'B');

    await signUp(a, 'Ann Host', 'ann@example.com');
    await a.screenshot({ path: `${ARTIFACTS}dashboard-desktop.png` });

    // Schedule a meeting with a passcode and the lobby on.
    await a.getByRole('button', { name: 'Schedule a meeting' }).click();
    const form = a.getByRole('form', { name: 'Schedule a meeting' });
    await form.getByLabel('Title').fill('Weekly sync');
    await form.getByLabel('Repeats').selectOption('weekly');
    await form.getByLabel('Passcode (optional)').fill('e2e1234');
    await form.getByRole('button', { name: 'Schedule' }).click();
    const item = a.locator('li.meeting-card', { hasText: 'Weekly sync' });
    await item.waitFor();
    const invite = await item.locator('input.invite-link').inputValue();
    const invitePath = new URL(invite).pathname;
    expect(invitePath).toMatch(/^\/join\/mtg_/);
    await a.screenshot({ path: `${ARTIFACTS}dashboard-scheduled.png` });

    // A starts it.
    await item.getByRole('button', { name: 'Start' }).click();
    await a.getByRole('button', { name: 'Join meeting' }).click();
    await a.getByRole('navigation', { name: 'Meeting controls' }).waitFor();

    // B opens the invite link as a guest, gives a name and the passcode, and waits in the lobby.
    await b.goto(invitePath);
    await b.getByLabel('Your name').fill('Bea Guest');
    await b.getByLabel('Meeting passcode').fill('e2e1234');
    await b.screenshot({ path: `${ARTIFACTS}prejoin-phone.png` });
    await b.getByRole('button', { name: 'Join meeting' }).click();
    await b.getByText('You are in the lobby').waitFor();
    await b.screenshot({ path: `${ARTIFACTS}lobby-phone.png` });

    // A admits B.
    await a.getByRole('button', { name: 'Admit Bea Guest' }).first().click();
    await b.getByRole('navigation', { name: 'Meeting controls' }).waitFor();

    // Both decode each other's camera.
    await waitDecoded(a, "A decodes B's camera", (d) => (d.byName['Bea Guest'] ?? 0) > 10);
    await waitDecoded(b, "B decodes A's camera", (d) => (d.byName['Ann Host'] ?? 0) > 10).catch(
      async (e: unknown) => {
        const stateOfA = await a.evaluate(() => window.__origoRoom?.state()).catch(() => null);
        throw new Error(`${(e as Error).message}; A's room ${JSON.stringify(stateOfA)}`);
      },
    );

    // B shares the screen; B sees that it is presenting; A decodes the share.
    await b.getByRole('button', { name: 'Share screen' }).click();
    await b.getByText('You are presenting').waitFor();
    await waitDecoded(a, "A decodes B's screen", (d) => d.screen > 10);
    await a.locator('[data-source="screen"] video').waitFor();
    await a.screenshot({ path: `${ARTIFACTS}meeting-desktop-screenshare.png` });
    await b.screenshot({ path: `${ARTIFACTS}meeting-phone-presenting.png` });

    // A mutes B; B's UI shows it.
    await a.getByRole('button', { name: /^Participants/ }).click();
    await a.getByRole('button', { name: 'Mute Bea Guest' }).click();
    await b.getByText('The host muted your microphone.').waitFor();
    await b.getByRole('button', { name: 'Unmute' }).waitFor();
    await a.locator('[data-participant="Bea Guest"]', { hasText: 'Muted' }).waitFor();
    await a.screenshot({ path: `${ARTIFACTS}meeting-desktop-participants.png` });
    await b.screenshot({ path: `${ARTIFACTS}meeting-phone-muted.png` });

    // A ends the meeting for all; both land on the meeting-ended page.
    await a.getByRole('button', { name: 'End meeting for all' }).click();
    for (const p of [a, b]) {
      await p.waitForURL(/\/ended\?/);
      await p.getByRole('heading', { name: 'The meeting has ended' }).waitFor();
    }
    await b.screenshot({ path: `${ARTIFACTS}ended-phone.png` });
    expect(await decoded(a)).toEqual({ camera: 0, screen: 0, byName: {} });
  });

  it('join click to first decoded remote frame, median of five runs', async () => {
    const host = await newPage({ width: 1280, height: 800 }, 'host');
    await signUp(host, 'Hal Host', 'hal@example.com');
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      // An instant meeting with a passcode and no lobby, created through the API with A's session.
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
      await host.getByRole('navigation', { name: 'Meeting controls' }).waitFor();

      const guest = await newPage({ width: 1280, height: 800 }, `guest${run}`);
      await guest.goto(`/join/${meetingId}`);
      await guest.getByLabel('Your name').fill(`Guest ${run}`);
      await guest.getByLabel('Meeting passcode').fill('time1234');
      await guest.getByRole('button', { name: 'Join meeting' }).click();
      const m = await pollPage(
        guest,
        () => window.__origoMetrics ?? { joinClickedAt: 0, firstRemoteFrameAt: 0 },
        (x) => x.firstRemoteFrameAt > 0,
        DEADLINE,
        'first remote frame',
      );
      times.push(m.firstRemoteFrameAt - m.joinClickedAt);
      await guest.getByRole('button', { name: 'Leave' }).click();
      await guest.waitForURL(/\/ended\?/);
      await guest.context().close();
      await host.getByRole('button', { name: 'Leave' }).click();
      await host.waitForURL(/\/ended\?/);
    }
    const sorted = [...times].sort((x, y) => x - y);
    const median = sorted[2]!;
    console.log(
      `join-to-first-frame ms: runs ${times.map((t) => t.toFixed(0)).join(', ')}; median ${median.toFixed(0)}`,
    );
    expect(times).toHaveLength(5);
    expect(median).toBeGreaterThan(0);
  });
});
