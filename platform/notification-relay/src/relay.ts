// Hands relay rows to the notification service. Rows are claimed with a lease in one statement
// (FOR UPDATE SKIP LOCKED, so replicas never take the same row), the RPC runs outside any
// transaction, and the outcome is written back. Every RPC is idempotent on the notification side
// (enqueue by idempotency key, schedules by version), so a row sent twice after a lease ran out does
// no harm.
import { randomUUID } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { Counter, type Registry } from 'prom-client';
import {
  AppError,
  backoffDelayMs,
  createGrpcClient,
  ErrorCode,
  toAppError,
  unary,
  type Logger,
} from '@origo/kit';
import type { Database } from '@origo/kit/db';
import {
  CancelReminderScheduleRequest,
  EnqueueRequest,
  NotificationServiceClient,
  SetReminderScheduleRequest,
} from '@origo/proto/notification-rpc';
import { notificationRelay, type RelayRow } from './table.js';

/** One call to make, as the producer describes it. */
export type RelayCall =
  | { rpc: 'enqueue'; request: EnqueueRequest }
  | { rpc: 'setReminderSchedule'; request: SetReminderScheduleRequest }
  | { rpc: 'cancelReminderSchedule'; request: CancelReminderScheduleRequest };

// A service's Database<Schema> and its transactions both fit: the relay only needs its own table.
type AnyDb = Database<Record<string, unknown>>;

export interface RelayOptions {
  /** The producing service (`auth`, `control`): prefixes idempotency keys, named in call metadata. */
  service: string;
  db: AnyDb;
  /** The notification service's gRPC address; absent means rows wait (nothing pumps them). */
  target?: (() => Promise<string>) | undefined;
  logger: Logger;
  now?: () => Date;
  /** How often the pump looks for due rows besides being kicked after a commit. Default 5 s. */
  intervalMs?: number;
  /** How long a claimed row stays owned by this pump. Default 30 s (well over the 5 s deadline). */
  leaseMs?: number;
  /** First retry delay and cap. Defaults 1 s and 5 min. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A row still failing this long after it was written is given up. Default 24 h. */
  giveUpAfterMs?: number;
  deadlineMs?: number;
  /** Runs after a row was accepted (e.g. control marks the invitation as sent). */
  onRelayed?: (row: RelayRow, response: { notificationId?: string }) => Promise<void>;
  registry?: Registry;
}

const PERMANENT = new Set<ErrorCode>([
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.FAILED_PRECONDITION,
  ErrorCode.OUT_OF_RANGE,
  ErrorCode.UNIMPLEMENTED,
  ErrorCode.PERMISSION_DENIED,
]);

const BATCH = 20;

function encode(call: RelayCall): Record<string, unknown> {
  switch (call.rpc) {
    case 'enqueue':
      return EnqueueRequest.toJSON(call.request) as Record<string, unknown>;
    case 'setReminderSchedule':
      return SetReminderScheduleRequest.toJSON(call.request) as Record<string, unknown>;
    case 'cancelReminderSchedule':
      return CancelReminderScheduleRequest.toJSON(call.request) as Record<string, unknown>;
  }
}

export class NotificationRelay {
  private readonly now: () => Date;
  private readonly t = notificationRelay;
  private client: NotificationServiceClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  // Resolves on stop(), so a pass waiting for the service's address does not hold shutdown up.
  private readonly stopping: Promise<never>;
  private stopNow: () => void = () => {};
  private readonly outcomes: Counter<'outcome'> | undefined;

  constructor(private readonly o: RelayOptions) {
    this.now = o.now ?? (() => new Date());
    this.stopping = new Promise<never>((_resolve, reject) => {
      this.stopNow = () => reject(AppError.unavailable('the notification relay is stopping'));
    });
    this.stopping.catch(() => {});
    this.outcomes = o.registry
      ? new Counter({
          name: 'origo_notification_relay_total',
          help: 'Relay rows handed to the notification service, by outcome (relayed, retry, failed)',
          labelNames: ['outcome'] as const,
          registers: [o.registry],
        })
      : undefined;
  }

  /**
   * Adds a call inside the caller's transaction. Enqueue calls without an idempotency key get one
   * derived from the row id, so the notification exists once however often the row is relayed.
   */
  async add(tx: AnyDb, call: RelayCall, actor: string, ref?: string): Promise<RelayRow> {
    const id = `nrl_${randomUUID()}`;
    if (call.rpc === 'enqueue' && call.request.idempotencyKey === '')
      call = { rpc: 'enqueue', request: { ...call.request, idempotencyKey: `${this.o.service}:${id}` } };
    const now = this.now();
    const [row] = await tx
      .insert(this.t)
      .values({
        id,
        rpc: call.rpc,
        payload: encode(call),
        ref: ref ?? null,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
        createdBy: actor,
        updatedBy: actor,
      })
      .returning();
    if (row === undefined) throw AppError.internal('relay insert returned no row');
    return row;
  }

  /** Starts the periodic pump (no-op without a target). */
  start(): void {
    if (this.o.target === undefined || this.timer !== undefined || this.stopped) return;
    const interval = this.o.intervalMs ?? 5000;
    this.timer = setInterval(() => this.kick(), interval);
    this.timer.unref();
    this.kick();
  }

  /** Asks for a pump pass soon, e.g. right after a transaction that added rows committed. */
  kick(): void {
    if (this.o.target === undefined || this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pumpOnce();
        } catch (err) {
          this.o.logger.warn({ err }, 'notification relay pass failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** One pass over due rows; resolves with how many were relayed, retried and given up. */
  async pumpOnce(): Promise<{ relayed: number; retried: number; failed: number }> {
    const result = { relayed: 0, retried: 0, failed: 0 };
    if (this.o.target === undefined) return result;
    const rows = await this.claim();
    if (rows.length === 0) return result;
    let client: NotificationServiceClient;
    try {
      client = await this.connect();
    } catch (err) {
      for (const row of rows) result[await this.failed(row, toAppError(err))] += 1;
      return result;
    }
    for (const row of rows) {
      if (this.stopped) break;
      try {
        const response = await this.call(client, row);
        await this.o.db
          .update(this.t)
          .set({
            relayedAt: this.now(),
            leaseUntil: null,
            lastError: null,
            payload: {},
            updatedAt: this.now(),
            updatedBy: `service:${this.o.service}`,
          })
          .where(eq(this.t.id, row.id));
        this.outcomes?.inc({ outcome: 'relayed' });
        result.relayed += 1;
        if (this.o.onRelayed) {
          await this.o.onRelayed(row, response).catch((err: unknown) => {
            this.o.logger.warn({ err, relay_id: row.id }, 'after-relay hook failed');
          });
        }
      } catch (err) {
        result[await this.failed(row, toAppError(err))] += 1;
      }
    }
    return result;
  }

  /** Rows not yet relayed nor given up. */
  async pendingCount(): Promise<number> {
    const [row] = await this.o.db
      .select({ n: sql<number>`count(*)::int` })
      .from(this.t)
      .where(and(isNull(this.t.relayedAt), isNull(this.t.failedAt)));
    return row?.n ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopNow();
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
    this.client?.close();
  }

  private async claim(): Promise<RelayRow[]> {
    const now = this.now();
    const t = this.t;
    const due = this.o.db
      .select({ id: t.id })
      .from(t)
      .where(
        and(
          isNull(t.relayedAt),
          isNull(t.failedAt),
          lte(t.nextAttemptAt, now),
          or(isNull(t.leaseUntil), lt(t.leaseUntil, now)),
        ),
      )
      .orderBy(asc(t.createdAt), asc(t.id))
      .limit(BATCH)
      .for('update', { skipLocked: true });
    const rows: RelayRow[] = await this.o.db
      .update(t)
      .set({
        leaseUntil: new Date(now.getTime() + (this.o.leaseMs ?? 30_000)),
        attempts: sql`${t.attempts} + 1`,
      })
      .where(inArray(t.id, due))
      .returning();
    // The update returns rows in no particular order; schedules must reach the service in order.
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  private async connect(): Promise<NotificationServiceClient> {
    if (this.client !== undefined) return this.client;
    const target = this.o.target;
    if (target === undefined) throw AppError.unavailable('no notification service configured');
    const address = await Promise.race([target(), this.stopping]);
    this.client = createGrpcClient(NotificationServiceClient, address, {
      logger: this.o.logger,
      defaultDeadlineMs: this.o.deadlineMs ?? 5000,
    });
    return this.client;
  }

  private async call(client: NotificationServiceClient, row: RelayRow): Promise<{ notificationId?: string }> {
    const metadata = new Metadata();
    metadata.set('x-origo-caller', this.o.service);
    const options = { metadata, deadlineMs: this.o.deadlineMs ?? 5000 };
    switch (row.rpc) {
      case 'enqueue': {
        const response = await unary(
          client.enqueue.bind(client),
          EnqueueRequest.fromJSON(row.payload),
          options,
        );
        return { notificationId: response.notificationId };
      }
      case 'setReminderSchedule':
        await unary(
          client.setReminderSchedule.bind(client),
          SetReminderScheduleRequest.fromJSON(row.payload),
          options,
        );
        return {};
      case 'cancelReminderSchedule':
        await unary(
          client.cancelReminderSchedule.bind(client),
          CancelReminderScheduleRequest.fromJSON(row.payload),
          options,
        );
        return {};
      default:
        throw AppError.invalid(`unknown relay rpc ${String(row.rpc)}`);
    }
  }

  private async failed(row: RelayRow, error: AppError): Promise<'retried' | 'failed'> {
    if (error.code === ErrorCode.UNAVAILABLE && this.client !== undefined) {
      // grpc-js backs reconnects off on its own schedule (up to minutes); our backoff decides instead.
      this.client.close();
      this.client = undefined;
    }
    const now = this.now();
    const giveUp =
      PERMANENT.has(error.code) ||
      now.getTime() - row.createdAt.getTime() >= (this.o.giveUpAfterMs ?? 86_400_000);
    const message = `${error.code}: ${error.message}`.slice(0, 500);
    await this.o.db
      .update(this.t)
      .set(
        giveUp
          ? { failedAt: now, leaseUntil: null, lastError: message, updatedAt: now }
          : {
              leaseUntil: null,
              lastError: message,
              updatedAt: now,
              nextAttemptAt: new Date(
                now.getTime() +
                  backoffDelayMs(row.attempts, {
                    baseMs: this.o.retryBaseMs ?? 1000,
                    maxMs: this.o.retryMaxMs ?? 300_000,
                  }),
              ),
            },
      )
      .where(eq(this.t.id, row.id));
    if (giveUp) {
      this.o.logger.error(
        { relay_id: row.id, rpc: row.rpc, attempts: row.attempts, error: message },
        'gave up handing a notification to the notification service',
      );
      this.outcomes?.inc({ outcome: 'failed' });
      return 'failed';
    }
    this.o.logger.warn(
      { relay_id: row.id, rpc: row.rpc, attempts: row.attempts, error: message },
      'notification service call failed; will retry',
    );
    this.outcomes?.inc({ outcome: 'retry' });
    return 'retried';
  }
}
