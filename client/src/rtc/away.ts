// Tells the server when the meeting page has been hidden for a while (another tab, a minimised window)
// and when it shows again, so a signed-in participant's presence reads "away" meanwhile. A short glance
// elsewhere sends nothing. It follows the signaling session: said again to a fresh session, stopped with it.
import type { SignalClient } from './SignalClient.js';

/** How long the page must stay hidden before the participant counts as away. */
export const AWAY_AFTER_MS = 60_000;

/** The part of `document` this needs (a stand-in in unit tests). */
export interface VisibilitySource {
  readonly hidden: boolean;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

export class AwayReporter {
  private away = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly onChange = () => this.check();

  constructor(
    private readonly signal: Pick<SignalClient, 'on' | 'send'>,
    private readonly page: VisibilitySource = document,
    private readonly afterMs = AWAY_AFTER_MS,
  ) {
    page.addEventListener('visibilitychange', this.onChange);
    // A new server session starts present: tell it again if the page is still away.
    signal.on('rejoined', () => {
      if (this.away) this.report(true);
    });
    signal.on('closed', () => this.close());
    this.check();
  }

  private report(away: boolean): void {
    this.signal.send({ $case: 'setAway', value: { away } });
  }

  private close(): void {
    this.page.removeEventListener('visibilitychange', this.onChange);
    this.clear();
  }

  private check(): void {
    if (this.page.hidden) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.away = true;
        this.report(true);
      }, this.afterMs);
      return;
    }
    this.clear();
    if (this.away) {
      this.away = false;
      this.report(false);
    }
  }

  private clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
