// A transactional outbox: a producer writes a row into its own `outbox` table in the transaction that
// causes it, and a pump hands the rows to their consumer in batches, deleting them once the consumer
// accepted them. Rows are claimed with a lease in one statement (FOR UPDATE SKIP LOCKED), so replicas
// never send the same row at the same time; a pump that dies holding a lease leaves the rows to the
// next pass after the lease. A row can therefore reach its consumer twice, and consumers must be
// idempotent (billing's metering stores each event once by its id). Failures back off exponentially and
// are retried without end: the consumer's downtime delays delivery but loses nothing.
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { Counter, type Registry } from 'prom-client';
import { backoffDelayMs } from './backoff.js';
import type { Logger } from './logger.js';
import { timestampMs as ts } from './db/columns.js';
import type { Database } from './db/types.js';

/**
 * The outbox table, in the producing service's schema (`export { outbox } from '@origo/kit/outbox'` in
 * its schema.ts). `topic` names the consumer, so one table serves several.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    /** While set and in the future, one pump owns the row. */
    leaseUntil: ts('lease_until'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('outbox_topic_due_idx').on(t.topic, t.nextAttemptAt, t.id)],
);

export type OutboxRow = typeof outbox.$inferSelect;

// A service's Database<Schema> and its transactions both fit: the outbox only needs its own table.
type AnyDb = Database<Record<string, unknown>>;

/** Adds a row for `topic` inside the caller's transaction. */
export async function addToOutbox(tx: AnyDb, topic: string, payload: Record<string, unknown>): Promise<void> {
  await tx.insert(outbox).values({ topic, payload });
}

export interface OutboxPumpOptions {
  /** The consumer this pump feeds; only rows of this topic are sent. */
  topic: string;
  db: AnyDb;
  /**
   * Hands a batch to the consumer; resolves when the consumer accepted all of it. Absent: rows wait
   * (nothing pumps them), e.g. when the consumer is not configured.
   */
  send?: ((payloads: Array<Record<string, unknown>>) => Promise<void>) | undefined;
  logger: Logger;
  now?: () => Date;
  /** Rows per batch. Default 200. */
  batchSize?: number;
  /** How often the pump looks for due rows besides being kicked. Default 5 s. */
  intervalMs?: number;
  /** How long claimed rows stay owned by this pump. Default 60 s (well over a send's deadline). */
  leaseMs?: number;
  /** First retry delay and cap. Defaults 1 s and 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  registry?: Registry;
}

export class OutboxPump {
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly outcomes: Counter<'topic' | 'outcome'> | undefined;

  constructor(private readonly o: OutboxPumpOptions) {
    this.now = o.now ?? (() => new Date());
    this.outcomes =
      o.registry === undefined
        ? undefined
        : ((o.registry.getSingleMetric('origo_outbox_rows_total') as Counter<'topic' | 'outcome'>) ??
          new Counter({
            name: 'origo_outbox_rows_total',
            help: 'Outbox rows handed to their consumer, by topic and outcome (sent, retry)',
            labelNames: ['topic', 'outcome'] as const,
            registers: [o.registry],
          }));
  }

  /** Starts the periodic pump (no-op without `send`). */
  start(): void {
    if (this.o.send === undefined || this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.o.intervalMs ?? 5000);
    this.timer.unref();
    this.kick();
  }

  /** Asks for a pass soon, e.g. right after a transaction that added rows committed. */
  kick(): void {
    if (this.o.send === undefined || this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          // Batch after batch while there are due rows and the consumer takes them.
          let sent: number;
          do {
            sent = (await this.pumpOnce()).sent;
          } while (sent > 0 && !this.stopped);
        } catch (err) {
          this.o.logger.warn({ err, topic: this.o.topic }, 'outbox pass failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Makes every waiting row due now and kicks: the consumer said it is back (it restarted), so the rows
   * need not wait out their backoff.
   */
  async retryNow(): Promise<void> {
    await this.o.db
      .update(outbox)
      .set({ nextAttemptAt: this.now() })
      .where(and(eq(outbox.topic, this.o.topic), isNull(outbox.leaseUntil)));
    this.kick();
  }

  /** Resolves when no pass is running (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** One batch: claim due rows, send them, delete them (or back off). */
  async pumpOnce(): Promise<{ sent: number; retried: number }> {
    const send = this.o.send;
    if (send === undefined) return { sent: 0, retried: 0 };
    const rows = await this.claim();
    if (rows.length === 0) return { sent: 0, retried: 0 };
    const ids = rows.map((r) => r.id);
    try {
      await send(rows.map((r) => r.payload));
    } catch (err) {
      const now = this.now();
      const attempts = Math.max(...rows.map((r) => r.attempts));
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      await this.o.db
        .update(outbox)
        .set({
          leaseUntil: null,
          lastError: message,
          nextAttemptAt: new Date(
            now.getTime() +
              backoffDelayMs(attempts, {
                baseMs: this.o.retryBaseMs ?? 1000,
                maxMs: this.o.retryMaxMs ?? 60_000,
              }),
          ),
        })
        .where(inArray(outbox.id, ids));
      this.outcomes?.inc({ topic: this.o.topic, outcome: 'retry' }, rows.length);
      this.o.logger.warn(
        { topic: this.o.topic, rows: rows.length, attempts, error: message },
        'the outbox consumer did not take the rows; will retry',
      );
      return { sent: 0, retried: rows.length };
    }
    await this.o.db.delete(outbox).where(inArray(outbox.id, ids));
    this.outcomes?.inc({ topic: this.o.topic, outcome: 'sent' }, rows.length);
    return { sent: rows.length, retried: 0 };
  }

  /** Rows of this topic not yet accepted by the consumer. */
  async pendingCount(): Promise<number> {
    const [row] = await this.o.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(eq(outbox.topic, this.o.topic));
    return row?.n ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.idle();
  }

  private async claim(): Promise<OutboxRow[]> {
    const now = this.now();
    const due = this.o.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.topic, this.o.topic),
          lte(outbox.nextAttemptAt, now),
          or(isNull(outbox.leaseUntil), lt(outbox.leaseUntil, now)),
        ),
      )
      .orderBy(asc(outbox.id))
      .limit(this.o.batchSize ?? 200)
      .for('update', { skipLocked: true });
    return this.o.db
      .update(outbox)
      .set({
        leaseUntil: new Date(now.getTime() + (this.o.leaseMs ?? 60_000)),
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(inArray(outbox.id, due))
      .returning();
  }
}
