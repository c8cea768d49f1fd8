import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwayReporter, type VisibilitySource } from './away.js';
import type { SignalRequest } from '@origo/proto/signal';

class FakePage implements VisibilitySource {
  hidden = false;
  private listener: (() => void) | null = null;
  addEventListener(_type: 'visibilitychange', listener: () => void): void {
    this.listener = listener;
  }
  removeEventListener(): void {
    this.listener = null;
  }
  set(hidden: boolean): void {
    this.hidden = hidden;
    this.listener?.();
  }
}

/** The signaling session as the reporter uses it: what it sent, and its events. */
class FakeSignal {
  readonly sent: boolean[] = [];
  private readonly handlers = new Map<string, () => void>();
  on(event: string, fn: () => void): () => void {
    this.handlers.set(event, fn);
    return () => undefined;
  }
  send(message: NonNullable<SignalRequest['message']>): void {
    if (message.$case === 'setAway') this.sent.push(message.value.away);
  }
  emit(event: 'rejoined' | 'closed'): void {
    this.handlers.get(event)?.();
  }
}

const start = (page: FakePage, signal: FakeSignal) =>
  new AwayReporter(signal as unknown as ConstructorParameters<typeof AwayReporter>[0], page, 1000);

describe('away reporting', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports away only after the page stayed hidden for a while, and back when it shows', () => {
    const page = new FakePage();
    const signal = new FakeSignal();
    const sent = signal.sent;
    start(page, signal);
    page.set(true);
    vi.advanceTimersByTime(500);
    page.set(false);
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);

    page.set(true);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([true]);
    signal.emit('rejoined');
    expect(sent).toEqual([true, true]);
    page.set(false);
    expect(sent).toEqual([true, true, false]);
    signal.emit('rejoined');
    expect(sent).toEqual([true, true, false]);

    // The session ended: nothing more is sent.
    signal.emit('closed');
    page.set(true);
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([true, true, false]);
  });

  it('counts a page that starts hidden', () => {
    const page = new FakePage();
    page.hidden = true;
    const signal = new FakeSignal();
    start(page, signal);
    vi.advanceTimersByTime(1000);
    expect(signal.sent).toEqual([true]);
  });
});
