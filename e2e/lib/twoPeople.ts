// Two people in one meeting, as they would get there: a host signs up, starts an instant meeting and
// hands out the invite link shown inside it; a guest with no account opens the link, types a name and
// joins. Used by the tests that vary the network under the meeting (TURN only, a loopback-only host).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { recordPeerConnections } from './peerConnections.js';
import { controls } from './seen.js';
import { signUp } from './signUp.js';

export const HOST_NAME = 'Ann Host';
export const GUEST_NAME = 'Gil Guest';

export interface TwoPeopleOptions {
  /** Every step's deadline (ms). */
  deadlineMs: number;
  /** Force `iceTransportPolicy: 'relay'` on every peer connection of both pages. */
  forceRelay?: boolean;
  /** Scripts run in each page before its own (for example the tsx keepNames shim). */
  initScripts?: readonly string[];
  /** Runs once the host has an account, before the meeting starts (a plan change, say). */
  beforeMeeting?: (host: Page) => Promise<void>;
}

/**
 * The two people's browser contexts and pages. The pages are kept when a step fails, for the caller's
 * screenshots; close() (safe to call twice) ends both contexts.
 */
export class TwoPeople {
  readonly pages: Array<{ label: 'host' | 'guest'; page: Page }> = [];
  private readonly contexts: BrowserContext[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly browser: Browser,
    private readonly url: string,
    private readonly options: TwoPeopleOptions,
  ) {}

  /** Brings a host and a guest into one instant meeting; media checks are the caller's. */
  async meet(): Promise<{ host: Page; guest: Page }> {
    const host = await this.newPage('host');
    const guest = await this.newPage('guest');

    await signUp(host, HOST_NAME, 'ann@example.com');
    await this.options.beforeMeeting?.(host);
    await host.getByRole('button', { name: 'Start an instant meeting' }).click();
    await host.getByRole('button', { name: 'Join meeting' }).click();
    await controls(host).waitFor();

    // The link a host hands out: read from the invite panel inside the meeting.
    await controls(host).getByRole('button', { name: 'Invite' }).click();
    const invitePanel = host.getByRole('complementary', { name: 'Invite people' });
    const linkField = invitePanel.getByLabel('Invite link');
    await linkField.waitFor();
    const link = await linkField.inputValue();
    if (!/\/join\/mtg_[A-Za-z0-9_-]+#invite=/.test(link)) throw new Error(`unexpected invite link ${link}`);
    await invitePanel.getByRole('button', { name: 'Close' }).click();

    await guest.goto(link);
    await guest.getByRole('heading', { name: 'Instant meeting' }).waitFor();
    await guest.getByLabel('Your name').fill(GUEST_NAME);
    await guest.getByRole('button', { name: 'Join meeting' }).click();
    await controls(guest).waitFor();
    return { host, guest };
  }

  close(): Promise<void> {
    this.closing ??= Promise.all(this.contexts.map((c) => c.close().catch(() => undefined))).then(
      () => undefined,
    );
    return this.closing;
  }

  private async newPage(label: 'host' | 'guest'): Promise<Page> {
    const context = await this.browser.newContext({
      viewport: { width: 1280, height: 720 },
      baseURL: this.url,
    });
    this.contexts.push(context);
    await context.grantPermissions(['camera', 'microphone'], { origin: this.url });
    for (const script of this.options.initScripts ?? []) await context.addInitScript(script);
    await recordPeerConnections(context, { forceRelay: this.options.forceRelay ?? false });
    const page = await context.newPage();
    page.setDefaultTimeout(this.options.deadlineMs);
    page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
    page.on('dialog', (d) => void d.accept());
    this.pages.push({ label, page });
    return page;
  }
}
