// Instant meetings: a title per meeting from its creation time in the creator's language and zone, and
// the dashboard's "upcoming" list, which drops instant meetings that ended or that nobody started in time.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backends, meetingBody, startHarness, type Harness } from './helpers.js';
import { controlSchema, type MeetingId } from '../src/index.js';
import { firstLanguage, instantTitle, INSTANT_UPCOMING_MS } from '../src/instant-title.js';

describe('instantTitle', () => {
  const at = new Date('2025-12-02T14:05:00Z');

  it('names the day and time in the given language and time zone', () => {
    expect(instantTitle(at, 'en-GB', 'UTC')).toBe('Instant meeting, 2 Dec, 14:05');
    expect(instantTitle(at, 'en-GB', 'Europe/Berlin')).toBe('Instant meeting, 2 Dec, 15:05');
    expect(instantTitle(at, 'en-US', 'America/New_York')).toMatch(/^Instant meeting, Dec 2, 9:05\sAM$/);
  });

  it('falls back to British English and UTC for a language or zone it does not know', () => {
    expect(instantTitle(at, undefined, 'UTC')).toBe('Instant meeting, 2 Dec, 14:05');
    expect(instantTitle(at, 'en-GB', 'Not/AZone')).toBe('Instant meeting, 2 Dec, 14:05');
  });

  it('reads the first language of an Accept-Language header', () => {
    expect(firstLanguage('de-CH,de;q=0.9,en;q=0.8')).toBe('de-CH');
    expect(firstLanguage('*')).toBeUndefined();
    expect(firstLanguage(undefined)).toBeUndefined();
  });
});

describe.each(backends)('instant meetings ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `ins${randomUUID().slice(0, 6)}`);
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.call(h.users.host, 'POST', '/api/meetings', { org_id: h.orgA, ...body }, headers);
  const setRow = (id: string, set: Partial<typeof controlSchema.meetings.$inferInsert>) =>
    h.database.db
      .update(controlSchema.meetings)
      .set(set)
      .where(eq(controlSchema.meetings.id, id as MeetingId));

  it('titles an instant meeting by when it was created, and keeps a title that was given', async () => {
    const before = Date.now();
    const untitled = await create({ kind: 'instant', locale: 'en-GB', time_zone: 'Europe/Berlin' });
    expect(untitled.status).toBe(201);
    const expected = [before, Date.now()].map((t) => instantTitle(new Date(t), 'en-GB', 'Europe/Berlin'));
    expect(expected).toContain(untitled.body.title);
    expect(untitled.body.title).toMatch(/^Instant meeting, \d{1,2} [A-Z][a-z]{2,3}, \d{2}:\d{2}$/);
    expect(untitled.body.time_zone).toBe('Europe/Berlin');

    // Without a locale in the body, the browser's Accept-Language decides.
    const byHeader = await create(
      { kind: 'instant', time_zone: 'UTC' },
      { 'accept-language': 'en-US,en;q=0.9' },
    );
    expect(byHeader.body.title).toMatch(/^Instant meeting, [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}\s[AP]M$/);

    const titled = await create({ kind: 'instant', title: 'Quick sync', locale: 'en-GB' });
    expect(titled.body.title).toBe('Quick sync');

    const scheduled = await create({ ...meetingBody({}), title: undefined });
    expect(scheduled.status).toBe(400);
    expect(JSON.stringify(scheduled.body)).toContain('is required for a scheduled meeting');

    const badLocale = await create({ kind: 'instant', locale: 'not a tag!' });
    expect(badLocale.status).toBe(400);
  });

  it('gives an instant meeting started in the same minute as a listed one a title of its own', async () => {
    // Only Date is faked, so every create below falls in the same minute and the database still runs.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-06-15T09:30:05Z'));
    try {
      const base = 'Instant meeting, 15 Jun, 09:30';
      const untitled = async (by = h.users.host, orgId = h.orgA) => {
        const res = await h.call(by, 'POST', '/api/meetings', {
          org_id: orgId,
          kind: 'instant',
          locale: 'en-GB',
          time_zone: 'UTC',
        });
        expect(res.status).toBe(201);
        return res.body as { id: string; title: string };
      };
      const first = await untitled();
      expect(first.title).toBe(base);
      expect((await untitled()).title).toBe(`${base} (2)`);
      // Concurrent creates take turns choosing, so none of them repeats a title.
      const together = await Promise.all([untitled(), untitled(), untitled()]);
      expect(together.map((m) => m.title).sort()).toEqual([`${base} (3)`, `${base} (4)`, `${base} (5)`]);
      // Another organization's meetings do not count, and a title that was given is kept as it is.
      expect((await untitled(h.users.outsider, h.orgB)).title).toBe(base);
      const titled = (await create({ kind: 'instant', title: base, locale: 'en-GB' })).body as {
        id: string;
        title: string;
      };
      expect(titled.title).toBe(base);

      // The dashboard's upcoming list tells the untitled ones apart.
      const upcoming = await h.call(h.users.member, 'GET', `/api/meetings?org_id=${h.orgA}&upcoming=true`);
      const titles = (upcoming.body.items as Array<{ title: string }>)
        .map((m) => m.title)
        .filter((t) => t.startsWith(base));
      expect(titles.sort()).toEqual([base, base, ...[2, 3, 4, 5].map((n) => `${base} (${n})`)]);

      // The next free number follows; the plain title comes back once no listed meeting has it.
      expect((await untitled()).title).toBe(`${base} (6)`);
      await setRow(first.id, { state: 'ended', startedAt: new Date(), endedAt: new Date() });
      await setRow(titled.id, { state: 'cancelled', cancelledAt: new Date() });
      expect((await untitled()).title).toBe(base);
      expect((await untitled()).title).toBe(`${base} (7)`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lists as upcoming only what can still be joined: no ended or long-abandoned instant meeting', async () => {
    const fresh = (await create({ kind: 'instant', title: 'Fresh instant' })).body.id as string;
    const stale = (await create({ kind: 'instant', title: 'Abandoned instant' })).body.id as string;
    const ended = (await create({ kind: 'instant', title: 'Ended instant' })).body.id as string;
    const liveOld = (await create({ kind: 'instant', title: 'Long live instant' })).body.id as string;
    const planned = (await create(meetingBody({ title: 'Planned review' }))).body.id as string;
    const oldPlan = (await create(meetingBody({ title: 'Old plan' }))).body.id as string;
    const longAgo = new Date(Date.now() - INSTANT_UPCOMING_MS - 60_000);
    await setRow(stale, { createdAt: longAgo });
    await setRow(ended, { state: 'ended', startedAt: new Date(), endedAt: new Date() });
    await setRow(liveOld, { state: 'live', createdAt: longAgo, startedAt: longAgo });
    // A scheduled meeting keeps its place however long ago it was made.
    await setRow(oldPlan, { createdAt: longAgo });

    const upcoming = await h.call(h.users.member, 'GET', `/api/meetings?org_id=${h.orgA}&upcoming=true`);
    expect(upcoming.status).toBe(200);
    const ids = (upcoming.body.items as Array<{ id: string }>).map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([fresh, liveOld, planned, oldPlan]));
    expect(ids).not.toContain(stale);
    expect(ids).not.toContain(ended);

    // The ended one is a past meeting; the unfiltered list still has everything.
    const past = await h.call(h.users.member, 'GET', `/api/meetings?org_id=${h.orgA}&state=ended`);
    expect((past.body.items as Array<{ id: string }>).map((m) => m.id)).toContain(ended);
    const all = await h.call(h.users.member, 'GET', `/api/meetings?org_id=${h.orgA}&limit=100`);
    expect((all.body.items as Array<{ id: string }>).map((m) => m.id)).toContain(stale);
  });
});
