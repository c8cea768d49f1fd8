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
import type { Bus } from '@origo/kit/bus';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import { installAccessControl, type PrincipalResolver } from '@origo/auth/client';
import { BILLING_READY_CHANNEL } from '@origo/control/contracts';
import type { Schema } from './audit.js';
import * as schema from './db/schema.js';
import { addBillingGrpc } from './grpc.js';
import { registerAuditRoutes } from './http/audit-routes.js';
import { registerInvoiceRoutes } from './http/invoice-routes.js';
import { registerRoutes } from './http/routes.js';
import { registerWebhookRoutes } from './http/webhook-routes.js';
import { InvoiceStore, type InvoiceSettings } from './invoices.js';
import type { Organizations } from './organizations.js';
import { PlanStore } from './plans.js';
import type { PaymentProvider } from './provider/provider.js';
import { UsageStore } from './usage.js';

/** How often the invoice job looks for a month to close and invoices to push. */
const INVOICE_JOB_INTERVAL_MS = 15 * 60_000;

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const BILLING_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type BillingDatabase = DatabaseHandle<Schema>;

/** Opens the billing database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export const openBillingDatabase = databaseOpener('billing', schema, BILLING_MIGRATIONS);

export interface BillingServiceDeps {
  database: BillingDatabase;
  /**
   * Where billing says it is listening (`billing.ready`), so producers whose outbox rows are backing off
   * send them at once. Usage events themselves arrive over gRPC (RecordUsageEvents).
   */
  bus?: Bus;
  resolvePrincipal: PrincipalResolver;
  /** Auth's organizations, asked before a subscription is set (createHttpOrganizations). */
  organizations: Organizations;
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
  const usage = new UsageStore(db, deps.now);
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
    organizations: deps.organizations,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    // The provider's subscription follows the plan; a failure is retried before the next invoice push.
    onSubscribed: (orgId) =>
      invoices.syncOrg(orgId).catch((err: unknown) => {
        logger.warn({ err, org_id: orgId }, 'could not update the subscription at the payment provider');
      }),
  });
  const clock = deps.now === undefined ? {} : { now: deps.now };
  registerInvoiceRoutes(http.app, { invoices, logger, organizations: deps.organizations, ...clock });
  registerWebhookRoutes(http.app, { invoices, logger, metrics, ...clock });
  registerAuditRoutes(http.app, { db });
  await http.app.ready();

  const rejections = new Counter({
    name: 'origo_billing_quota_rejections_total',
    help: 'Joins and recordings refused because a plan limit was reached, by limit',
    labelNames: ['limit'],
    registers: [metrics.registry],
  });
  const metered = new Counter({
    name: 'origo_billing_events_metered_total',
    help: 'Usage events received for metering, by result (applied, duplicate, invalid, failed)',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  const grpc = createGrpcServer({ service: 'billing', logger, metrics });
  addBillingGrpc(grpc, {
    plans,
    usage,
    logger,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    onRefused: (limit) => rejections.inc({ limit }),
    onMetered: (result, count) => {
      if (count > 0) metered.inc({ result }, count);
    },
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
    async listen(options) {
      const bound = await listeners.listen(options);
      if (jobIntervalMs > 0 && jobTimer === undefined) {
        jobTimer = setInterval(runJob, jobIntervalMs);
        jobTimer.unref();
        runJob();
      }
      // Producers back off while billing is away; this tells them to send what waits now.
      await deps.bus
        ?.publish(BILLING_READY_CHANNEL, { grpc: bound.grpc, at_ms: Date.now() })
        .catch((err: unknown) => logger.warn({ err }, 'could not tell producers that billing is back'));
      return bound;
    },
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        clearInterval(jobTimer);
        await job;
        await listeners.close();
      })();
      return closing;
    },
  };
}
