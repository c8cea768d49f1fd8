// The length cap of a plan (the free plan's 40 minutes): a warning on the room-commands channel some
// minutes before the cap, then the meeting ends for everyone through the same path as a host's "end for
// all" (the meeting's state, then `end_room` for signaling). Every control replica sweeps; a set-if-absent
// key per room instance and step decides which one acts.
import { randomUUID } from 'node:crypto';
import { and, eq, isNotNull } from 'drizzle-orm';
import type { Logger } from '@origo/kit';
import type { Bus, Kv } from '@origo/kit/bus';
import type { Actor, Db } from './audit.js';
import type { BillingQuota, PlanCaps } from './billing.js';
import { ROOM_COMMANDS_CHANNEL, roomCommandSchema, type RoomCommand } from './contracts.js';
import { meetings, type MeetingRow } from './db/schema.js';
import type { MeetingStore } from './meetings.js';

export const TIME_CAP_ACTOR: Actor = { id: 'service:billing-time-cap' };
/** How long before the cap the warning goes out. */
export const WARN_BEFORE_MS = 5 * 60_000;
/** How often each replica looks at live meetings. */
export const SWEEP_INTERVAL_MS = 15_000;

export interface TimeCapDeps {
  db: Db;
  store: MeetingStore;
  billing: BillingQuota;
  bus: Bus;
  kv: Kv;
  logger: Logger;
  /** The clock (tests move a fake one). */
  now?: () => number;
  /** Called after a meeting ended at its cap (control answers held lobby requests). */
  onEnded?: (meeting: MeetingRow) => Promise<void>;
}

export class MeetingTimeCaps {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly deps: TimeCapDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Warns and ends live meetings at their plan's cap; returns what it did (for tests and logs). */
  async sweep(): Promise<{ warned: string[]; ended: string[] }> {
    const { db, billing } = this.deps;
    const live = await db
      .select()
      .from(meetings)
      .where(and(eq(meetings.state, 'live'), isNotNull(meetings.startedAt)));
    const plans = new Map<string, PlanCaps | null>();
    const warned: string[] = [];
    const ended: string[] = [];
    const now = this.now();
    for (const meeting of live) {
      if (!plans.has(meeting.orgId)) plans.set(meeting.orgId, await billing.planOf(meeting.orgId));
      const plan = plans.get(meeting.orgId);
      if (plan === null || plan === undefined || plan.maxMeetingMinutes <= 0 || meeting.startedAt === null)
        continue;
      const endsAt = meeting.startedAt.getTime() + plan.maxMeetingMinutes * 60_000;
      if (now >= endsAt) {
        if (await this.end(meeting)) ended.push(meeting.id);
      } else if (now >= endsAt - WARN_BEFORE_MS) {
        if (await this.warn(meeting, plan, endsAt)) warned.push(meeting.id);
      }
    }
    return { warned, ended };
  }

  start(intervalMs = SWEEP_INTERVAL_MS): void {
    this.timer ??= setInterval(() => {
      this.running = this.sweep().catch((err: unknown) =>
        this.deps.logger.warn({ err }, 'meeting length sweep failed; retrying at the next one'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private claim(meeting: MeetingRow, step: 'warned' | 'ended'): Promise<boolean> {
    return this.deps.kv.set(`control:time-cap:${step}:${meeting.id}:${meeting.roomSid ?? ''}`, '1', {
      ifAbsent: true,
      ttlMs: 24 * 3_600_000,
    });
  }

  private async publish(
    meeting: MeetingRow,
    command:
      | { type: 'time_limit_warning'; ends_at_ms: number; limit_minutes: number; plan_name: string }
      | {
          type: 'end_room';
          reason: 'time_limit';
        },
  ): Promise<void> {
    const full: RoomCommand = roomCommandSchema.parse({
      v: 1,
      command_id: randomUUID(),
      room: meeting.id,
      issued_by: TIME_CAP_ACTOR.id,
      issued_at_ms: this.now(),
      ...command,
    });
    await this.deps.bus.publish(ROOM_COMMANDS_CHANNEL, full);
  }

  private async warn(meeting: MeetingRow, plan: PlanCaps, endsAt: number): Promise<boolean> {
    if (!(await this.claim(meeting, 'warned'))) return false;
    await this.publish(meeting, {
      type: 'time_limit_warning',
      ends_at_ms: endsAt,
      limit_minutes: plan.maxMeetingMinutes,
      plan_name: plan.planName,
    });
    this.deps.logger.info({ meeting_id: meeting.id, ends_at_ms: endsAt }, 'meeting length warning sent');
    return true;
  }

  private async end(meeting: MeetingRow): Promise<boolean> {
    if (!(await this.claim(meeting, 'ended'))) return false;
    const after = await this.deps.store.endForAll(meeting.id, TIME_CAP_ACTOR);
    await this.publish(after, { type: 'end_room', reason: 'time_limit' });
    await this.deps.onEnded?.(after);
    this.deps.logger.info({ meeting_id: meeting.id }, 'meeting ended at its plan length cap');
    return true;
  }
}
