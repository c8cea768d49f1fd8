// The outbox worker. A claim is one statement: due rows (pending and due, or `sending` whose lease ran
// out because a worker died mid-send) are locked with FOR UPDATE SKIP LOCKED, so replicas never take
// the same row, and leased. The send happens outside any transaction; the outcome is written back only
// if the row still carries this claim's attempt number (a fence against a worker whose lease expired).
import { and, asc, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import { Counter, Histogram, type Registry } from 'prom-client';
import { backoffDelayMs, type Logger } from '@origo/kit';
import type { Db } from './audit.js';
import { DeliveryError, type ChannelSender } from './channels/types.js';
import { deliveries, type DeliveryRow } from './db/schema.js';
import type { Channel } from './kinds.js';

export interface WorkerOptions {
  db: Db;
  senders: ReadonlyMap<Channel, ChannelSender>;
  now: () => Date;
  logger: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  leaseMs: number;
  pollIntervalMs: number;
  registry?: Registry;
  batch?: number;
}

export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly outcomes: Counter<'channel' | 'outcome'> | undefined;
  private readonly latency: Histogram<'channel'> | undefined;

  constructor(private readonly o: WorkerOptions) {
    if (o.registry) {
      this.outcomes = new Counter({
        name: 'origo_notification_deliveries_total',
        help: 'Delivery attempts by channel and outcome (delivered, retry, failed)',
        labelNames: ['channel', 'outcome'] as const,
        registers: [o.registry],
      });
      this.latency = new Histogram({
        name: 'origo_notification_delivery_seconds',
        help: 'Time from enqueue to delivery, by channel',
        labelNames: ['channel'] as const,
        buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
        registers: [o.registry],
      });
    }
  }

  start(): void {
    if (this.timer !== undefined || this.stopped || this.o.pollIntervalMs <= 0) return;
    this.timer = setInterval(() => this.kick(), this.o.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs passes until nothing is due; coalesces calls that arrive meanwhile. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while (!this.stopped && (await this.runOnce()) === (this.o.batch ?? 10)) {
            // A full batch: more may be due.
          }
        } catch (err) {
          this.o.logger.error({ err }, 'outbox pass failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Claims one batch of due deliveries and attempts each; resolves with how many were claimed. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    for (const row of claimed) {
      if (this.stopped) break;
      await this.attempt(row);
    }
    return claimed.length;
  }

  /**
   * Stops claiming. A send in flight gets a few seconds to finish; past that it is left to its lease
   * (another worker, or this one after a restart, retries it), so shutdown stays within its budget.
   */
  async stop(graceMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  private async claim(): Promise<DeliveryRow[]> {
    const now = this.o.now();
    const d = deliveries;
    const due = this.o.db
      .select({ id: d.id })
      .from(d)
      .where(
        or(
          and(eq(d.status, 'pending'), lte(d.nextAttemptAt, now)),
          and(eq(d.status, 'sending'), lt(d.leaseUntil, now)),
        ),
      )
      .orderBy(asc(d.nextAttemptAt), asc(d.id))
      .limit(this.o.batch ?? 10)
      .for('update', { skipLocked: true });
    return this.o.db
      .update(d)
      .set({
        status: 'sending',
        attempts: sql`${d.attempts} + 1`,
        leaseUntil: new Date(now.getTime() + this.o.leaseMs),
        updatedAt: now,
        updatedBy: 'service:notification',
      })
      .where(inArray(d.id, due))
      .returning();
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const sender = this.o.senders.get(row.channel);
    const fence = and(
      eq(deliveries.id, row.id),
      eq(deliveries.status, 'sending'),
      eq(deliveries.attempts, row.attempts),
    );
    try {
      if (sender === undefined) throw new DeliveryError(`the ${row.channel} channel is not configured`, true);
      const { providerId } = await sender.send(row);
      const now = this.o.now();
      await this.o.db
        .update(deliveries)
        .set({
          status: 'delivered',
          deliveredAt: now,
          providerId: providerId.slice(0, 500),
          leaseUntil: null,
          lastError: null,
          updatedAt: now,
        })
        .where(fence);
      this.outcomes?.inc({ channel: row.channel, outcome: 'delivered' });
      this.latency?.observe({ channel: row.channel }, (now.getTime() - row.createdAt.getTime()) / 1000);
    } catch (err) {
      const permanent = err instanceof DeliveryError && err.permanent;
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      const giveUp = permanent || row.attempts >= row.maxAttempts;
      const now = this.o.now();
      await this.o.db
        .update(deliveries)
        .set(
          giveUp
            ? { status: 'failed', leaseUntil: null, lastError: message, updatedAt: now }
            : {
                status: 'pending',
                leaseUntil: null,
                lastError: message,
                updatedAt: now,
                nextAttemptAt: new Date(
                  now.getTime() +
                    backoffDelayMs(row.attempts, { baseMs: this.o.retryBaseMs, maxMs: this.o.retryMaxMs }),
                ),
              },
        )
        .where(fence);
      this.outcomes?.inc({ channel: row.channel, outcome: giveUp ? 'failed' : 'retry' });
      const log = { delivery_id: row.id, channel: row.channel, attempt: row.attempts, error: message };
      if (giveUp) this.o.logger.error(log, 'notification delivery failed for good');
      else this.o.logger.warn(log, 'notification delivery failed; will retry');
    }
  }
}
