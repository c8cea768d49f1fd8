import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '@origo/kit';
import type { ReminderSchedule } from '@origo/proto/notification-rpc';
import { backends, FakeClock, recipient, startHarness, testUser, type Harness } from './helpers.js';

const MINUTE = 60_000;

describe.each(backends)('reminders before each occurrence ($name)', (backend) => {
  let h: Harness;
  const clock = new FakeClock(new Date('2030-03-25T00:00:00Z'));
  const admin = testUser('Root', true);
  const host = testUser('Hedy');

  beforeAll(async () => {
    h = await startHarness(backend, { deps: { now: clock.now }, settings: { reminderMinutes: 15 } });
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  const setSchedule = (schedule: Partial<ReminderSchedule> & Pick<ReminderSchedule, 'meetingId'>) =>
    unary(h.client.setReminderSchedule.bind(h.client), {
      schedule: {
        orgId: 'org_1',
        meetingTitle: 'Weekly design review',
        startsAtMs: 0,
        durationMinutes: 30,
        timeZone: 'Europe/Berlin',
        rrule: '',
        joinUrl: 'https://origo.test/join/x',
        recipients: [
          recipient({ email: 'guest@example.com' }),
          recipient({ userId: host.userId, email: host.email, displayName: 'Hedy' }),
        ],
        version: 1,
        minutesBefore: 0,
        ...schedule,
      },
    });

  /**
   * Moves the clock in `stepMs` steps to `until`, ticking at each; returns when reminders went out.
   * Right after a firing it ticks again at the same instant: another replica or a retried timer must
   * find nothing left to do.
   */
  async function run(until: Date, stepMs: number): Promise<Array<{ at: string; count: number }>> {
    const fired: Array<{ at: string; count: number }> = [];
    while (clock.now() < until) {
      clock.advance(stepMs);
      const count = await h.service.reminders.tick();
      if (count > 0) {
        fired.push({ at: clock.now().toISOString(), count });
        expect(await h.service.reminders.tick()).toBe(0);
      }
    }
    return fired;
  }

  async function reminderMails(meetingTitle: string) {
    await h.service.worker.runOnce();
    const items: Array<Record<string, string>> = [];
    let cursor: string | null = null;
    do {
      const page = await h.call(
        admin,
        'GET',
        `/api/admin/outbox?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      items.push(...(page.body.items as Array<Record<string, string>>));
      cursor = page.body.nextCursor as string | null;
    } while (cursor !== null);
    return items.filter((m) => m['subject'] === `Starts in 15 minutes: ${meetingTitle}`);
  }

  it('fires once per occurrence of a weekly meeting across the spring DST change, 15 minutes before 09:00 local', async () => {
    const applied = await setSchedule({
      meetingId: 'mtg_weekly',
      // Monday 25 March 2030, 09:00 in Berlin (CET, UTC+1); Europe moves to CEST on Sunday 31 March.
      startsAtMs: Date.parse('2030-03-25T08:00:00Z'),
      rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=3',
    });
    expect(applied.applied).toBe(true);

    // 15-minute steps land on every quarter hour, so a reminder due at :45 is seen exactly then.
    const fired = await run(new Date('2030-04-08T12:00:00Z'), 15 * MINUTE);
    expect(fired).toEqual([
      { at: '2030-03-25T07:45:00.000Z', count: 2 },
      { at: '2030-04-01T06:45:00.000Z', count: 2 },
      { at: '2030-04-08T06:45:00.000Z', count: 2 },
    ]);

    const mails = await reminderMails('Weekly design review');
    expect(mails).toHaveLength(6);
    const when = mails.map((m) => /When: (.*)/.exec(m['body'] ?? '')?.[1]).sort();
    expect(when).toEqual(
      [
        'Monday, 1 April 2030 at 09:00 CEST',
        'Monday, 1 April 2030 at 09:00 CEST',
        'Monday, 25 March 2030 at 09:00 CET',
        'Monday, 25 March 2030 at 09:00 CET',
        'Monday, 8 April 2030 at 09:00 CEST',
        'Monday, 8 April 2030 at 09:00 CEST',
      ].sort(),
    );
    expect(new Set(mails.map((m) => m['to']))).toEqual(new Set(['guest@example.com', host.email]));
  });

  it('fires once for a daily 02:30 meeting on the night the clocks go back (02:30 happens twice)', async () => {
    clock.set(new Date('2030-10-25T12:00:00Z'));
    await setSchedule({
      meetingId: 'mtg_night',
      meetingTitle: 'Night shift handover',
      startsAtMs: Date.parse('2030-10-26T00:30:00Z'), // 02:30 CEST
      rrule: 'FREQ=DAILY;COUNT=3',
      recipients: [recipient({ email: 'nurse@example.com' })],
    });
    const fired = await run(new Date('2030-10-29T00:00:00Z'), 5 * MINUTE);
    expect(fired).toEqual([
      { at: '2030-10-26T00:15:00.000Z', count: 1 },
      // Sunday 27 October: 02:30 CEST, the first of the two 02:30s (RFC 5545 section 3.3.5).
      { at: '2030-10-27T00:15:00.000Z', count: 1 },
      { at: '2030-10-28T01:15:00.000Z', count: 1 },
    ]);
    const mails = await reminderMails('Night shift handover');
    expect(mails.map((m) => /When: (.*)/.exec(m['body'] ?? '')?.[1]).sort()).toEqual(
      [
        'Saturday, 26 October 2030 at 02:30 CEST',
        'Sunday, 27 October 2030 at 02:30 CEST',
        'Monday, 28 October 2030 at 02:30 CET',
      ].sort(),
    );
  });

  it('ignores an older version of a schedule and stops after a cancel', async () => {
    clock.set(new Date('2031-01-01T00:00:00Z'));
    const base = {
      meetingId: 'mtg_moved',
      meetingTitle: 'Moved meeting',
      startsAtMs: Date.parse('2031-01-02T10:00:00Z'),
      recipients: [recipient({ email: 'moved@example.com' })],
    };
    expect((await setSchedule({ ...base, version: 5 })).applied).toBe(true);
    // A late retry of an earlier change must not move the meeting back.
    expect(
      (await setSchedule({ ...base, version: 4, startsAtMs: Date.parse('2031-01-01T12:00:00Z') })).applied,
    ).toBe(false);
    const cancel = await unary(h.client.cancelReminderSchedule.bind(h.client), {
      meetingId: 'mtg_moved',
      version: 6,
    });
    expect(cancel.applied).toBe(true);
    expect(await run(new Date('2031-01-03T00:00:00Z'), 15 * MINUTE)).toEqual([]);
    expect(await reminderMails('Moved meeting')).toEqual([]);
  });

  it('refuses a schedule with a bad time zone or rule and stores nothing', async () => {
    await expect(
      setSchedule({
        meetingId: 'mtg_bad',
        startsAtMs: Date.now(),
        timeZone: 'Mars/Olympus',
        rrule: 'FREQ=SECONDLY',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await setSchedule({ meetingId: 'mtg_bad', startsAtMs: Date.now(), version: 1 })).applied).toBe(
      true,
    );
  });
});
