// Reminders N minutes before each occurrence of a scheduled meeting. Control sends the meeting's
// schedule (start, duration, IANA zone, RRULE, recipients); occurrences are expanded with control's
// own recurrence code, so wall-clock times stay put across DST changes exactly as control shows them.
//
// Once per occurrence: each schedule row keeps the next due reminder (next_fire_at) and the latest
// occurrence already handled. A tick locks due rows (FOR UPDATE SKIP LOCKED), enqueues the reminders
// and advances the row in the same transaction, so a crash either leaves both undone or both done;
// the idempotency key `reminder:<meeting>:<occurrence>:<recipient>` guards a second time.
import { and, asc, eq, lte, not } from 'drizzle-orm';
import { AppError, type Logger } from '@origo/kit';
import { isValidTimeZone, nextOccurrences, parseRule } from '@origo/control/recurrence';
import type { ReminderSchedule } from '@origo/proto/notification-rpc';
import { created, updated, writeAudit, type Actor, type Db } from './audit.js';
import { reminderSchedules, type ReminderScheduleRow } from './db/schema.js';
import { isPlainId } from './ids.js';
import type { Outbox } from './outbox.js';
import { isHttpUrl, validateRecipient } from './validation.js';

const SYSTEM: Actor = { id: 'service:notification' };
const MAX_RECIPIENTS = 500;

export interface SchedulerOptions {
  db: Db;
  outbox: Outbox;
  now: () => Date;
  logger: Logger;
  defaultMinutesBefore: number;
  /** 0 turns the timer off; tests call tick() with a fake clock. */
  intervalMs: number;
  /** Called after a transaction that enqueued reminders committed. */
  onEnqueued?: () => void;
}

type Timing = Pick<ReminderScheduleRow, 'nextFireAt' | 'nextOccurrenceAt'>;

/** The first occurrence starting after `after` and when its reminder is due. */
export function nextReminder(
  row: Pick<ReminderScheduleRow, 'startsAt' | 'durationMinutes' | 'timeZone' | 'rrule' | 'minutesBefore'>,
  after: Date,
): Timing {
  const upcoming = nextOccurrences(
    {
      startsAt: row.startsAt,
      durationMinutes: row.durationMinutes,
      timeZone: row.timeZone,
      rrule: row.rrule,
    },
    after,
    4,
  ).find((o) => o.startsAt.getTime() > after.getTime());
  if (upcoming === undefined) return { nextFireAt: null, nextOccurrenceAt: null };
  return {
    nextFireAt: new Date(upcoming.startsAt.getTime() - row.minutesBefore * 60_000),
    nextOccurrenceAt: upcoming.startsAt,
  };
}

export class ReminderScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer !== undefined) return;
    const run = () => {
      this.running ??= this.tick()
        .catch((err: unknown) => this.o.logger.error({ err }, 'reminder pass failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(run, this.o.intervalMs);
    this.timer.unref();
    run();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Stores a schedule unless a same or newer version is stored; true when applied. */
  async set(schedule: ReminderSchedule, actor: Actor): Promise<boolean> {
    const input = this.validate(schedule);
    return this.o.db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(reminderSchedules)
        .where(eq(reminderSchedules.meetingId, input.meetingId))
        .for('update');
      if (before !== undefined && before.version >= input.version) return false;
      const now = this.o.now();
      const handledThrough = before?.handledThrough ?? null;
      const after = new Date(Math.max(now.getTime(), handledThrough?.getTime() ?? 0));
      const values = { ...input, cancelled: false, handledThrough, ...nextReminder(input, after) };
      const [row] = await tx
        .insert(reminderSchedules)
        .values({ ...values, ...created(actor, now) })
        .onConflictDoUpdate({
          target: reminderSchedules.meetingId,
          set: { ...values, ...updated(actor, now) },
        })
        .returning();
      await writeAudit(tx, actor, {
        action: before === undefined ? 'reminder_schedule.create' : 'reminder_schedule.update',
        entity: 'reminder_schedule',
        entityId: input.meetingId,
        orgId: input.orgId,
        before: before === undefined ? null : summary(before),
        after: row === undefined ? null : summary(row),
      });
      return true;
    });
  }

  async cancel(meetingId: string, version: number, actor: Actor): Promise<boolean> {
    if (!isPlainId(meetingId))
      throw AppError.invalid('Invalid meeting id', [{ field: 'meeting_id', message: 'must be an id' }]);
    if (!Number.isSafeInteger(version) || version <= 0)
      throw AppError.invalid('Invalid version', [
        { field: 'version', message: 'must be a positive integer' },
      ]);
    return this.o.db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(reminderSchedules)
        .where(eq(reminderSchedules.meetingId, meetingId))
        .for('update');
      if (before === undefined || before.version >= version) return false;
      const now = this.o.now();
      await tx
        .update(reminderSchedules)
        .set({ cancelled: true, version, nextFireAt: null, nextOccurrenceAt: null, ...updated(actor, now) })
        .where(eq(reminderSchedules.meetingId, meetingId));
      await writeAudit(tx, actor, {
        action: 'reminder_schedule.cancel',
        entity: 'reminder_schedule',
        entityId: meetingId,
        orgId: before.orgId,
        before: summary(before),
      });
      return true;
    });
  }

  /** Sends every reminder that is due at the current time; resolves with how many were enqueued. */
  async tick(): Promise<number> {
    let enqueued = 0;
    for (;;) {
      const handled = await this.o.db.transaction(async (tx) => {
        const now = this.o.now();
        const due = await tx
          .select()
          .from(reminderSchedules)
          .where(and(not(reminderSchedules.cancelled), lte(reminderSchedules.nextFireAt, now)))
          .orderBy(asc(reminderSchedules.nextFireAt))
          .limit(20)
          .for('update', { skipLocked: true });
        let count = 0;
        for (const row of due) count += await this.fire(tx, row, now);
        return { rows: due.length, count };
      });
      enqueued += handled.count;
      if (handled.count > 0) this.o.onEnqueued?.();
      if (handled.rows < 20) return enqueued;
    }
  }

  private async fire(tx: Db, row: ReminderScheduleRow, now: Date): Promise<number> {
    const occurrence = row.nextOccurrenceAt;
    let count = 0;
    if (occurrence !== null && occurrence.getTime() > now.getTime()) {
      for (const recipient of row.recipients) {
        const who = recipient['userId'] || (recipient['email'] ?? '').toLowerCase();
        if (who === '') continue;
        await this.o.outbox.enqueue(
          tx,
          {
            idempotencyKey: `reminder:${row.meetingId}:${occurrence.toISOString()}:${who}`,
            orgId: row.orgId,
            recipient: {
              userId: recipient['userId'] ?? '',
              email: recipient['email'] ?? '',
              phone: recipient['phone'] ?? '',
              displayName: recipient['displayName'] ?? '',
            },
            content: {
              kind: 'reminder',
              params: {
                meetingId: row.meetingId,
                meetingTitle: row.title,
                startsAtMs: occurrence.getTime(),
                timeZone: row.timeZone,
                minutesBefore: row.minutesBefore,
                joinUrl: row.joinUrl,
              },
            },
          },
          SYSTEM,
        );
        count += 1;
      }
    } else if (occurrence !== null) {
      this.o.logger.warn(
        { meeting_id: row.meetingId, occurrence: occurrence.toISOString() },
        'reminder skipped: the occurrence had already started when it came due',
      );
    }
    const handledThrough = occurrence ?? row.handledThrough;
    const after = new Date(Math.max(now.getTime(), handledThrough?.getTime() ?? 0));
    await tx
      .update(reminderSchedules)
      .set({ handledThrough, ...nextReminder(row, after), updatedAt: now, updatedBy: SYSTEM.id })
      .where(eq(reminderSchedules.meetingId, row.meetingId));
    return count;
  }

  private validate(schedule: ReminderSchedule) {
    const violations: Array<{ field: string; message: string }> = [];
    const bad = (field: string, message: string) => violations.push({ field, message });
    if (!isPlainId(schedule.meetingId)) bad('meeting_id', 'must be an id');
    if (!isPlainId(schedule.orgId)) bad('org_id', 'must be an id');
    if (schedule.meetingTitle.length === 0 || schedule.meetingTitle.length > 300)
      bad('meeting_title', 'must be 1 to 300 characters');
    if (!Number.isSafeInteger(schedule.startsAtMs) || schedule.startsAtMs <= 0)
      bad('starts_at_ms', 'must be set');
    if (schedule.durationMinutes < 1 || schedule.durationMinutes > 24 * 60)
      bad('duration_minutes', 'must be 1 to 1440');
    if (!isValidTimeZone(schedule.timeZone)) bad('time_zone', 'must be an IANA time zone');
    if (!isHttpUrl(schedule.joinUrl)) bad('join_url', 'must be an http(s) URL');
    if (!Number.isSafeInteger(schedule.version) || schedule.version <= 0)
      bad('version', 'must be a positive integer');
    if (schedule.minutesBefore > 7 * 24 * 60) bad('minutes_before', 'must be at most a week');
    if (schedule.recipients.length > MAX_RECIPIENTS) bad('recipients', `must be at most ${MAX_RECIPIENTS}`);
    schedule.recipients.forEach((r, i) => {
      for (const v of validateRecipient(r, `recipients[${i}]`)) violations.push(v);
    });
    let rrule: string | null = null;
    if (schedule.rrule !== '') {
      try {
        rrule = parseRule(schedule.rrule, 'rrule').text;
      } catch (err) {
        if (err instanceof AppError) violations.push(...err.violations);
        else throw err;
      }
    }
    if (violations.length > 0) throw AppError.invalid('Invalid reminder schedule', violations);
    return {
      meetingId: schedule.meetingId,
      orgId: schedule.orgId,
      title: schedule.meetingTitle,
      startsAt: new Date(schedule.startsAtMs),
      durationMinutes: schedule.durationMinutes,
      timeZone: schedule.timeZone,
      rrule,
      joinUrl: schedule.joinUrl,
      recipients: schedule.recipients.map((r) => ({
        userId: r.userId,
        email: r.email,
        phone: r.phone,
        displayName: r.displayName,
      })),
      minutesBefore: schedule.minutesBefore === 0 ? this.o.defaultMinutesBefore : schedule.minutesBefore,
      version: schedule.version,
    };
  }
}

function summary(row: ReminderScheduleRow) {
  return {
    title: row.title,
    startsAt: row.startsAt,
    timeZone: row.timeZone,
    rrule: row.rrule,
    minutesBefore: row.minutesBefore,
    recipients: row.recipients.length,
    version: row.version,
    cancelled: row.cancelled,
  };
}
