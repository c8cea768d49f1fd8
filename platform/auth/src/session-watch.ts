// Holds a signed-in page's request until its session ends, so the page leaves as soon as an administrator
// signs the account out, not at its next request. Every auth replica hears of ended sessions from the bus
// announcement (session-events.ts), so the replica holding the request need not be the one that ended it.
import type { Bus, BusLogger, Unsubscribe } from '@origo/kit/bus';
import { onSessionsEnded } from './session-events.js';

export interface SessionEnd {
  ended: boolean;
  /** Why every session of the account ended (`forced_sign_out`, ...); null when not told. */
  reason: string | null;
}

export interface PendingWait {
  readonly promise: Promise<SessionEnd>;
  /** Stops waiting (the client went away): the promise resolves with `ended: false`. Idempotent. */
  cancel(): void;
}

type Waiter = (end: SessionEnd) => void;

/** How long the reason a session ended is remembered, for a page whose wait arrives just after. */
const RECENT_MS = 10 * 60_000;
/** At most this many ended sessions are remembered (a mass sign-out forgets the oldest first). */
const RECENT_MAX = 100_000;

export class SessionWatch {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Recently ended sessions and why, oldest first. */
  private readonly recent = new Map<string, { reason: string | null; at: number }>();
  private closed = false;

  private constructor(private readonly unsubscribe: Unsubscribe) {}

  static async start(bus: Bus, logger?: BusLogger): Promise<SessionWatch> {
    const ref: { watch?: SessionWatch } = {};
    const unsubscribe = await onSessionsEnded(
      bus,
      (message) => {
        for (const sid of message.sids) {
          ref.watch?.remember(sid, message.reason ?? null);
          ref.watch?.settle(sid, { ended: true, reason: message.reason ?? null });
        }
      },
      logger,
    );
    ref.watch = new SessionWatch(unsubscribe);
    return ref.watch;
  }

  /** How many requests are held now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /** Resolves when `sessionId` ends, or with `ended: false` after `ms` or once the watch closes. */
  wait(sessionId: string, ms: number): PendingWait {
    let done: Waiter = () => undefined;
    const promise = new Promise<SessionEnd>((resolve) => {
      if (this.closed) {
        resolve({ ended: false, reason: null });
        return;
      }
      const set = this.waiters.get(sessionId) ?? new Set<Waiter>();
      this.waiters.set(sessionId, set);
      const timer = setTimeout(() => done({ ended: false, reason: null }), ms);
      done = (end) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(sessionId) === set) this.waiters.delete(sessionId);
        done = () => undefined;
        resolve(end);
      };
      set.add(done);
    });
    return { promise, cancel: () => done({ ended: false, reason: null }) };
  }

  /**
   * Why `sessionId` ended, when it ended lately: a page whose wait reaches auth just after the end (between
   * two waits) still learns that an administrator signed it out. Null when it ended without a reason given;
   * undefined when not heard of.
   */
  recentEnd(sessionId: string): string | null | undefined {
    const entry = this.recent.get(sessionId);
    return entry === undefined || entry.at < Date.now() - RECENT_MS ? undefined : entry.reason;
  }

  private remember(sessionId: string, reason: string | null): void {
    const now = Date.now();
    this.recent.delete(sessionId);
    this.recent.set(sessionId, { reason, at: now });
    for (const [sid, entry] of this.recent) {
      if (entry.at >= now - RECENT_MS && this.recent.size <= RECENT_MAX) break;
      this.recent.delete(sid);
    }
  }

  private settle(sessionId: string, end: SessionEnd): void {
    const set = this.waiters.get(sessionId);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter(end);
  }

  /** Answers every held request (not ended) and stops listening; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const set of [...this.waiters.values()])
      for (const waiter of [...set]) waiter({ ended: false, reason: null });
    await this.unsubscribe();
  }
}
