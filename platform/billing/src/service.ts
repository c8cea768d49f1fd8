import { fileURLToPath } from 'node:url';
import { Counter } from 'prom-client';
import {
  createGrpcServer,
  createHttpService,
  httpAndGrpc,
  type BoundAddresses,
  type ListenOptions,
  createLogger,
  createMetrics,
  type GrpcServer,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import type { Bus, Unsubscribe } from '@origo/kit/bus';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import { installAccessControl, type PrincipalResolver } from '@origo/auth/client';
import { ROOM_EVENTS_CHANNEL, roomEventMessageSchema } from '@origo/control/contracts';
import type { Schema } from './audit.js';
import * as schema from './db/schema.js';
import { addBillingGrpc } from './grpc.js';
import { registerInvoiceRoutes } from './http/invoice-routes.js';
import { registerRoutes } from './http/routes.js';
import { registerWebhookRoutes } from './http/webhook-routes.js';
import { InvoiceStore, type InvoiceSettings } from './invoices.js';
import { PlanStore } from './plans.js';
import type { PaymentProvider } from './provider/provider.js';
import { UsageStore, type UsageEvent } from './usage.js';

/** Most room events written in one transaction. */
const MAX_BATCH = 500;

/** How often the invoice job looks for a month to close and invoices to push. */
const INVOICE_JOB_INTERVAL_MS = 15 * 60_000;

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const BILLING_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type BillingDatabase = DatabaseHandle<Schema>;

/** Opens the billing database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export const openBillingDatabase = databaseOpener('billing', schema, BILLING_MIGRATIONS);

export interface BillingServiceDeps {
  database: BillingDatabase;
  /** Where room events arrive from control (`room-events`); without it nothing is metered. */
  bus?: Bus;
  resolvePrincipal: PrincipalResolver;
  logger?: Logger;
  metrics?: ServiceMetrics;
  now?: () => Date;
  /** Invoice settings, the payment provider (default none) and the job's interval (0: no job). */
  invoicing?: {
    settings?: Partial<InvoiceSettings>;
    provider?: PaymentProvider | null;
    jobIntervalMs?: number;
  };
}

export interface BillingService {
  http: HttpService;
  grpc: GrpcServer;
  plans: PlanStore;
  usage: UsageStore;
  invoices: InvoiceStore;
  /** Resolves when every room event received so far is metered (tests and the bench wait on it). */
  idle(): Promise<void>;
  listen(options?: ListenOptions): Promise<BoundAddresses>;
  setDraining(): void;
  close(): Promise<void>;
}

export async function createBillingService(deps: BillingServiceDeps): Promise<BillingService> {
  const logger = deps.logger ?? createLogger({ service: 'billing', level: 'silent' });
  const metrics = deps.metrics ?? createMetrics('billing', { defaultMetrics: false });
  const db = deps.database.db;
  const plans = new PlanStore(db, deps.now);
  await plans.seed();
  const usage = new UsageStore(db);
  const invoices = new InvoiceStore(db, {
    plans,
    usage,
    logger,
    provider: deps.invoicing?.provider ?? null,
    ...(deps.invoicing?.settings === undefined ? {} : { settings: deps.invoicing.settings }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });

  const http = createHttpService({
    service: 'billing',
    logger,
    metrics,
    readiness: [{ name: 'database', check: () => deps.database.ping() }],
    bodyLimit: 64 * 1024,
    trustProxy: true,
  });
  installAccessControl(http.app, deps.resolvePrincipal, {
    exempt: (url) => url.startsWith('/health') || url === '/metrics' || url === '*',
  });
  registerRoutes(http.app, {
    plans,
    usage,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    // The provider's subscription follows the plan; a failure is retried before the next invoice push.
    onSubscribed: (orgId) =>
      invoices.syncOrg(orgId).catch((err: unknown) => {
        logger.warn({ err, org_id: orgId }, 'could not update the subscription at the payment provider');
      }),
  });
  const clock = deps.now === undefined ? {} : { now: deps.now };
  registerInvoiceRoutes(http.app, { invoices, logger, ...clock });
  registerWebhookRoutes(http.app, { invoices, logger, metrics, ...clock });
  await http.app.ready();

  const rejections = new Counter({
    name: 'origo_billing_quota_rejections_total',
    help: 'Joins refused because a plan limit was reached, by limit',
    labelNames: ['limit'],
    registers: [metrics.registry],
  });
  const metered = new Counter({
    name: 'origo_billing_events_metered_total',
    help: 'Room events received for metering, by result (applied, duplicate, invalid, failed)',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  const grpc = createGrpcServer({ service: 'billing', logger, metrics });
  addBillingGrpc(grpc, { plans, onRefused: (limit) => rejections.inc({ limit }) });

  // Events that arrive while a batch is being written wait and go in the next one (group commit): one
  // transaction per batch, each touched room recomputed once.
  let pending: unknown[] = [];
  let queue: Promise<void> = Promise.resolve();
  const meterPending = async (): Promise<void> => {
    while (pending.length > 0) {
      const raw = pending.slice(0, MAX_BATCH);
      pending = pending.slice(raw.length);
      const batch: UsageEvent[] = [];
      for (const message of raw) {
        const parsed = roomEventMessageSchema.safeParse(message);
        if (!parsed.success) {
          metered.inc({ result: 'invalid' });
          logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring a malformed room event');
          continue;
        }
        const e = parsed.data;
        batch.push({
          eventId: e.event_id,
          orgId: e.org_id,
          meetingId: e.meeting_id,
          roomSid: e.room_sid,
          type: e.type,
          identity: e.identity,
          occurredAt: e.occurred_at_ms,
        });
      }
      try {
        const applied = await usage.recordBatch(batch);
        metered.inc({ result: 'applied' }, applied.size);
        metered.inc({ result: 'duplicate' }, batch.length - applied.size);
      } catch (err) {
        metered.inc({ result: 'failed' }, batch.length);
        logger.error({ err, events: batch.length }, 'could not meter room events');
      }
    }
  };
  const unsubscribe: Unsubscribe | undefined =
    deps.bus === undefined
      ? undefined
      : await deps.bus.subscribe(ROOM_EVENTS_CHANNEL, (raw) => {
          pending.push(raw);
          if (pending.length === 1) queue = queue.then(meterPending);
        });

  // The invoice job closes the month that is due (idempotent, across replicas too) and pushes invoices
  // not yet at the provider; one run at a time, the first right after listening.
  const jobIntervalMs = deps.invoicing?.jobIntervalMs ?? INVOICE_JOB_INTERVAL_MS;
  let job: Promise<void> = Promise.resolve();
  let jobTimer: NodeJS.Timeout | undefined;
  const runJob = () => {
    job = job.then(async () => {
      try {
        const result = await invoices.runJob();
        if (result.created > 0 || result.pushed > 0) logger.info(result, 'invoice job');
      } catch (err) {
        logger.error({ err }, 'the invoice job failed; it runs again at the next interval');
      }
    });
  };

  let closing: Promise<void> | undefined;
  const listeners = httpAndGrpc(http, grpc);
  return {
    http,
    grpc,
    plans,
    usage,
    invoices,
    idle: async () => {
      let seen: Promise<void> | undefined;
      while (seen !== queue) {
        seen = queue;
        await seen;
      }
    },
    async listen(options) {
      const bound = await listeners.listen(options);
      if (jobIntervalMs > 0 && jobTimer === undefined) {
        jobTimer = setInterval(runJob, jobIntervalMs);
        jobTimer.unref();
        runJob();
      }
      return bound;
    },
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        clearInterval(jobTimer);
        await job;
        await unsubscribe?.();
        await queue;
        await listeners.close();
      })();
      return closing;
    },
  };
}
