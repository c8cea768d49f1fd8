import { describe, expect, it } from 'vitest';
import type { MemberPresence } from '../api/presence.js';
import { startPresenceFeed, type PresenceFeedDeps, type PresenceView } from './presenceFeed.js';

const person = (name: string, state: MemberPresence['state'] = 'online'): MemberPresence => ({
  user_id: `usr_${name}`,
  display_name: name,
  state,
  since: '2030-01-01T00:00:00Z',
  meetings: [],
});

/** A promise the test settles when it wants: the network answering late, or out of order. */
function later<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

function harness() {
  const views: PresenceView[] = [];
  const lists: Array<{
    org: string | undefined;
    answer: ReturnType<typeof later<{ items: MemberPresence[] }>>;
  }> = [];
  const beats: Array<ReturnType<typeof later<{ next_heartbeat_ms: number }>>> = [];
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  const deps: PresenceFeedDeps = {
    heartbeat: () => {
      const b = later<{ next_heartbeat_ms: number }>();
      beats.push(b);
      return b.promise;
    },
    list: (org) => {
      const answer = later<{ items: MemberPresence[] }>();
      lists.push({ org, answer });
      return answer.promise;
    },
    hidden: () => false,
    errorText: (e) => (e instanceof Error ? e.message : String(e)),
    onView: (v) => views.push(v),
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => ((h as { cleared: boolean }).cleared = true),
  };
  const last = () => views[views.length - 1];
  const pending = () => timers.filter((t) => !t.cleared);
  return { deps, views, lists, beats, timers, last, pending };
}

describe('who is around, as the presence panel shows it', () => {
  it('says it is loading until the first list arrives, then shows who is online', async () => {
    const h = harness();
    const feed = startPresenceFeed(h.deps, 'org_1');
    expect(h.last()).toEqual({ status: 'loading' });
    h.beats[0]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    // The heartbeat is in, the list not yet: still loading, never "no one is online".
    expect(h.last()).toEqual({ status: 'loading' });
    expect(h.lists[0]!.org).toBe('org_1');
    h.lists[0]!.answer.resolve({ items: [person('Ann'), person('Bo', 'in_meeting')] });
    await settle();
    expect(h.last()).toEqual({
      status: 'ready',
      people: [person('Ann'), person('Bo', 'in_meeting')],
      error: null,
    });
    expect(h.views.some((v) => v.status === 'ready' && v.people.length === 0)).toBe(false);
    expect(h.pending()).toHaveLength(1);
    feed.stop();
    expect(h.pending()).toHaveLength(0);
  });

  it('still lists the others when the heartbeat fails', async () => {
    const h = harness();
    startPresenceFeed(h.deps, 'org_1');
    h.beats[0]!.reject(new Error('heartbeat refused'));
    await settle();
    h.lists[0]!.answer.resolve({ items: [person('Ann')] });
    await settle();
    expect(h.last()).toEqual({ status: 'ready', people: [person('Ann')], error: 'heartbeat refused' });
  });

  it('drops an older answer that arrives after a newer one', async () => {
    const h = harness();
    const feed = startPresenceFeed(h.deps, 'org_1');
    h.beats[0]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    // The page is shown again while the first list is on its way: a second refresh starts.
    feed.refresh();
    h.beats[1]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    h.lists[1]!.answer.resolve({ items: [person('Ann'), person('Bo')] });
    await settle();
    h.lists[0]!.answer.resolve({ items: [] });
    await settle();
    expect(h.last()).toEqual({ status: 'ready', people: [person('Ann'), person('Bo')], error: null });
    // One refresh chain, not two.
    expect(h.pending()).toHaveLength(1);
  });

  it('starts loading again for another organization and ignores the old one', async () => {
    const h = harness();
    const feed = startPresenceFeed(h.deps, undefined);
    feed.setOrg('org_2');
    expect(h.last()).toEqual({ status: 'loading' });
    h.beats[0]!.resolve({ next_heartbeat_ms: 20_000 });
    h.beats[1]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    const forOrg2 = h.lists.find((l) => l.org === 'org_2')!;
    forOrg2.answer.resolve({ items: [person('Cy')] });
    for (const l of h.lists) if (l !== forOrg2) l.answer.resolve({ items: [] });
    await settle();
    expect(h.last()).toEqual({ status: 'ready', people: [person('Cy')], error: null });
  });

  it('keeps the last list when a later refresh fails, and says so', async () => {
    const h = harness();
    startPresenceFeed(h.deps, 'org_1');
    h.beats[0]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    h.lists[0]!.answer.resolve({ items: [person('Ann')] });
    await settle();
    h.pending()[0]!.fn();
    h.beats[1]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    h.lists[1]!.answer.reject(new Error('control unavailable'));
    await settle();
    expect(h.last()).toEqual({ status: 'ready', people: [person('Ann')], error: 'control unavailable' });
  });

  it('says it failed, not that no one is online, when nothing could be read', async () => {
    const h = harness();
    startPresenceFeed(h.deps, 'org_1');
    h.beats[0]!.reject(new Error('offline'));
    await settle();
    h.lists[0]!.answer.reject(new Error('offline'));
    await settle();
    expect(h.last()).toEqual({ status: 'failed', error: 'offline' });
    expect(h.pending()).toHaveLength(1);
  });

  it('shows an empty list only when the server said no one is online', async () => {
    const h = harness();
    startPresenceFeed(h.deps, 'org_1');
    h.beats[0]!.resolve({ next_heartbeat_ms: 20_000 });
    await settle();
    h.lists[0]!.answer.resolve({ items: [] });
    await settle();
    expect(h.last()).toEqual({ status: 'ready', people: [], error: null });
  });
});
