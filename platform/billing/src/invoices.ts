// Invoices: one statement per organization and closed UTC month, numbered without gaps, stored with its
// lines, pushed to the payment provider when there is one, and settled by the provider's webhooks or by the
// superadmin. The arithmetic lives in invoice-math.ts; this file decides what is billed and keeps state.
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, lte } from 'drizzle-orm';
import { AppError, ErrorCode, createLogger, type Logger } from '@origo/kit';
import { writeAudit, type Actor, type Db } from './audit.js';
import {
  auditEvents,
  invoiceCounters,
  invoiceLines,
  invoices,
  orgBilling,
  providerEvents,
  subscriptions,
  type InvoiceLineRow,
  type InvoiceRow,
  type OrgBillingRow,
  type PlanRow,
} from './db/schema.js';
import {
  computeInvoice,
  formatTaxPercent,
  periodOf,
  previousPeriod,
  unitFor,
  type InvoiceLine,
  type Period,
  type UsageTotals,
} from './invoice-math.js';
import { DEFAULT_PLAN_ID, type PlanStore } from './plans.js';
import type { PaymentProvider, ProviderEvent } from './provider/provider.js';
import type { OrgDayUsage, UsageStore } from './usage.js';

export type InvoiceStatus = 'draft' | 'due' | 'paid' | 'void';

/** An invoice with its lines; a draft (preview of the month so far) has no id, number or dates. */
export interface Invoice {
  id: string | null;
  number: string | null;
  orgId: string;
  period: string;
  periodStart: Date;
  periodEnd: Date;
  planId: string;
  planName: string;
  currency: string;
  status: InvoiceStatus;
  lines: InvoiceLine[];
  subtotalCents: number;
  taxRatePpm: number;
  taxCents: number;
  totalCents: number;
  issuedAt: Date | null;
  dueAt: Date | null;
  paidAt: Date | null;
  voidedAt: Date | null;
  paymentFailedAt: Date | null;
  paymentError: string | null;
  provider: string | null;
  providerInvoiceId: string | null;
}

export interface InvoiceSettings {
  /** The installation's tax rate in parts per million (BILLING_TAX_RATE_PERCENT). */
  taxRatePpm: number;
  /** Invoice numbers read `<prefix>-<year>-000001`. */
  numberPrefix: string;
  /** Days between issue and due date. */
  dueDays: number;
  /** Hours after a month ends before it is invoiced, so late room events still count. */
  graceHours: number;
}

export const DEFAULT_INVOICE_SETTINGS: InvoiceSettings = {
  taxRatePpm: 0,
  numberPrefix: 'INV',
  dueDays: 30,
  graceHours: 6,
};

const DAY_MS = 86_400_000;
const PROVIDER_ACTOR: (name: string) => Actor = (name) => ({ id: `service:${name}` });

/** Sums an organization's usage per day into the month's totals. */
export function usageTotals(rows: readonly OrgDayUsage[]): UsageTotals {
  const totals = { participantMs: 0, meetingMs: 0, recordingMs: 0, storageGbDays: 0 };
  for (const row of rows) {
    totals.participantMs += row.participantMs;
    totals.meetingMs += row.meetingMs;
    totals.recordingMs += row.recordingMs;
    totals.storageGbDays += row.storageGbDays;
  }
  return totals;
}

function toInvoice(row: InvoiceRow, lines: readonly InvoiceLineRow[]): Invoice {
  return {
    id: row.id,
    number: row.number,
    orgId: row.orgId,
    period: row.period,
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    planId: row.planId,
    planName: row.planName,
    currency: row.currency,
    status: row.status as InvoiceStatus,
    lines: [...lines]
      .sort((a, b) => a.position - b.position)
      .map((l) => ({
        kind: l.kind as InvoiceLine['kind'],
        description: l.description,
        unit: l.unit,
        quantity: l.quantity,
        included: l.included,
        billable: l.billable,
        unitPriceMicrocents: l.unitPriceMicrocents,
        amountCents: l.amountCents,
      })),
    subtotalCents: row.subtotalCents,
    taxRatePpm: row.taxRatePpm,
    taxCents: row.taxCents,
    totalCents: row.totalCents,
    issuedAt: row.issuedAt,
    dueAt: row.dueAt,
    paidAt: row.paidAt,
    voidedAt: row.voidedAt,
    paymentFailedAt: row.paymentFailedAt,
    paymentError: row.paymentError,
    provider: row.provider,
    providerInvoiceId: row.providerInvoiceId,
  };
}

export class InvoiceStore {
  private readonly settings: InvoiceSettings;
  private readonly logger: Logger;

  constructor(
    private readonly db: Db,
    private readonly deps: {
      plans: PlanStore;
      usage: UsageStore;
      provider?: PaymentProvider | null;
      settings?: Partial<InvoiceSettings>;
      now?: () => Date;
      logger?: Logger;
    },
  ) {
    this.settings = { ...DEFAULT_INVOICE_SETTINGS, ...deps.settings };
    this.logger = deps.logger ?? createLogger({ service: 'billing', level: 'silent' });
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  get provider(): PaymentProvider | null {
    return this.deps.provider ?? null;
  }

  /** The organization's billing settings row, or null while it has none. */
  async billingOf(orgId: string): Promise<OrgBillingRow | null> {
    const [row] = await this.db.select().from(orgBilling).where(eq(orgBilling.orgId, orgId));
    return row ?? null;
  }

  /** The tax rate an organization's invoices use: its own, else the installation's. */
  async taxRateOf(orgId: string): Promise<{ ppm: number; own: boolean }> {
    const own = (await this.billingOf(orgId))?.taxRatePpm ?? null;
    return own === null ? { ppm: this.settings.taxRatePpm, own: false } : { ppm: own, own: true };
  }

  /** Sets (or with null clears) an organization's own tax rate. */
  async setTaxRate(orgId: string, ppm: number | null, actor: Actor): Promise<{ ppm: number; own: boolean }> {
    await this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(orgBilling).where(eq(orgBilling.orgId, orgId)).for('update');
      const at = this.now();
      const [after] =
        before === undefined
          ? await tx
              .insert(orgBilling)
              .values({
                orgId,
                taxRatePpm: ppm,
                createdAt: at,
                updatedAt: at,
                createdBy: actor.id,
                updatedBy: actor.id,
              })
              .returning()
          : await tx
              .update(orgBilling)
              .set({ taxRatePpm: ppm, updatedAt: at, updatedBy: actor.id })
              .where(eq(orgBilling.orgId, orgId))
              .returning();
      await writeAudit(tx, actor, {
        action: 'org_billing.changed',
        entity: 'org_billing',
        entityId: orgId,
        orgId,
        before: before ?? null,
        after: after ?? null,
      });
    });
    return this.taxRateOf(orgId);
  }

  /**
   * The plan an organization was on at `end`: the newest subscription change whose period began before
   * then (each change writes an audit row with the new subscription in its transaction), else the default
   * plan. Billed at the plan's current prices, for the whole month.
   */
  async planAt(orgId: string, end: Date): Promise<PlanRow> {
    const changes = await this.db
      .select({ after: auditEvents.after })
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.entity, 'subscription'),
          eq(auditEvents.entityId, orgId),
          eq(auditEvents.action, 'subscription.changed'),
        ),
      )
      .orderBy(desc(auditEvents.id));
    let planId: string | undefined;
    for (const { after } of changes) {
      const row = after as { planId?: unknown; periodStart?: unknown } | null;
      if (typeof row?.planId !== 'string' || typeof row.periodStart !== 'string') continue;
      if (Date.parse(row.periodStart) < end.getTime()) {
        planId = row.planId;
        break;
      }
    }
    try {
      return await this.deps.plans.get(planId ?? DEFAULT_PLAN_ID);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.NOT_FOUND)
        return this.deps.plans.get(DEFAULT_PLAN_ID);
      throw err;
    }
  }

  private async compute(orgId: string, period: Period, plan: PlanRow) {
    const rows = await this.deps.usage.perDay({ orgId, from: period.firstDay, to: period.lastDay });
    const { ppm } = await this.taxRateOf(orgId);
    return computeInvoice(plan, usageTotals(rows), period, ppm);
  }

  /** The current month so far as a draft: not stored, not numbered, on the organization's current plan. */
  async preview(orgId: string, period: Period = periodOf(this.now())): Promise<Invoice> {
    const { plan } = await this.deps.plans.ofOrg(orgId);
    const totals = await this.compute(orgId, period, plan);
    return {
      id: null,
      number: null,
      orgId,
      period: period.period,
      periodStart: period.start,
      periodEnd: period.end,
      planId: plan.id,
      planName: plan.name,
      currency: plan.currency,
      status: 'draft',
      ...totals,
      issuedAt: null,
      dueAt: null,
      paidAt: null,
      voidedAt: null,
      paymentFailedAt: null,
      paymentError: null,
      provider: null,
      providerInvoiceId: null,
    };
  }

  /** The month the job should close now: the previous month once the grace after its end has passed. */
  closablePeriod(): Period | null {
    const now = this.now();
    const previous = previousPeriod(periodOf(now));
    return now.getTime() >= previous.end.getTime() + this.settings.graceHours * 3_600_000 ? previous : null;
  }

  /**
   * Issues the invoices of a closed month: every organization that used something in it, and every one
   * that was on a paid plan at its end. Idempotent: an organization's month is invoiced once (a unique
   * index holds it across replicas too).
   */
  async close(period: Period, actor: Actor): Promise<{ created: Invoice[]; existing: number }> {
    if (period.end.getTime() > this.now().getTime())
      throw AppError.precondition(`${period.period} has not ended yet; preview it instead`, 'period_open');
    const used = new Set<string>();
    for (const row of await this.deps.usage.perDay({ from: period.firstDay, to: period.lastDay }))
      used.add(row.orgId);
    const subscribed = await this.db.select({ orgId: subscriptions.orgId }).from(subscriptions);
    const orgs = new Set([...used, ...subscribed.map((r) => r.orgId)]);
    const created: Invoice[] = [];
    let existing = 0;
    for (const orgId of [...orgs].sort()) {
      const plan = await this.planAt(orgId, period.end);
      if (!used.has(orgId) && plan.priceMonthlyCents === 0) continue;
      const invoice = await this.issue(orgId, period, actor, plan);
      if (invoice === null) existing += 1;
      else created.push(invoice);
    }
    return { created, existing };
  }

  /** Issues one organization's invoice for a closed month; null when it exists already. */
  async issue(orgId: string, period: Period, actor: Actor, planAtEnd?: PlanRow): Promise<Invoice | null> {
    if ((await this.findByPeriod(orgId, period.period)) !== null) return null;
    const plan = planAtEnd ?? (await this.planAt(orgId, period.end));
    const totals = await this.compute(orgId, period, plan);
    const issuedAt = this.now();
    const row = await this.db.transaction(async (tx) => {
      const year = issuedAt.getUTCFullYear();
      // The counter row is locked first: invoices are numbered one at a time, without gaps, and the
      // existence check below cannot race another replica closing the same month.
      await tx.insert(invoiceCounters).values({ year, last: 0 }).onConflictDoNothing();
      const [counter] = await tx
        .select()
        .from(invoiceCounters)
        .where(eq(invoiceCounters.year, year))
        .for('update');
      if (counter === undefined) throw AppError.internal('invoice counter missing');
      const [already] = await tx
        .select({ id: invoices.id })
        .from(invoices)
        .where(and(eq(invoices.orgId, orgId), eq(invoices.period, period.period)));
      if (already !== undefined) return null;
      const next = counter.last + 1;
      await tx.update(invoiceCounters).set({ last: next }).where(eq(invoiceCounters.year, year));
      // Nothing to collect: settled on issue, as providers do with zero invoices.
      const settled = totals.totalCents === 0;
      const [inserted] = await tx
        .insert(invoices)
        .values({
          id: `inv_${randomBytes(12).toString('base64url')}`,
          number: `${this.settings.numberPrefix}-${year}-${String(next).padStart(6, '0')}`,
          orgId,
          period: period.period,
          periodStart: period.start,
          periodEnd: period.end,
          planId: plan.id,
          planName: plan.name,
          currency: plan.currency,
          subtotalCents: totals.subtotalCents,
          taxRatePpm: totals.taxRatePpm,
          taxCents: totals.taxCents,
          totalCents: totals.totalCents,
          status: settled ? 'paid' : 'due',
          issuedAt,
          dueAt: new Date(issuedAt.getTime() + this.settings.dueDays * DAY_MS),
          paidAt: settled ? issuedAt : null,
          createdAt: issuedAt,
          updatedAt: issuedAt,
          createdBy: actor.id,
          updatedBy: actor.id,
        })
        .returning();
      if (inserted === undefined) throw AppError.internal('invoice insert returned no row');
      await tx
        .insert(invoiceLines)
        .values(totals.lines.map((line, position) => ({ invoiceId: inserted.id, position, ...line })));
      await writeAudit(tx, actor, {
        action: 'invoice.issued',
        entity: 'invoice',
        entityId: inserted.id,
        orgId,
        before: null,
        after: inserted,
      });
      return inserted;
    });
    if (row === null) return null;
    return this.get(orgId, row.id);
  }

  private async findByPeriod(orgId: string, period: string): Promise<InvoiceRow | null> {
    const [row] = await this.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.orgId, orgId), eq(invoices.period, period)));
    return row ?? null;
  }

  private async withLines(rows: InvoiceRow[]): Promise<Invoice[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const lines = await this.db
      .select()
      .from(invoiceLines)
      .where(inArray(invoiceLines.invoiceId, ids))
      .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position));
    const byInvoice = new Map<string, InvoiceLineRow[]>();
    for (const line of lines) {
      let list = byInvoice.get(line.invoiceId);
      if (list === undefined) byInvoice.set(line.invoiceId, (list = []));
      list.push(line);
    }
    return rows.map((r) => toInvoice(r, byInvoice.get(r.id) ?? []));
  }

  /** Invoices newest first; `orgId` undefined for every organization. */
  async list(query: {
    orgId?: string | undefined;
    status?: InvoiceStatus | undefined;
    period?: string | undefined;
    limit: number;
  }): Promise<Invoice[]> {
    const rows = await this.db
      .select()
      .from(invoices)
      .where(
        and(
          query.orgId === undefined ? undefined : eq(invoices.orgId, query.orgId),
          query.status === undefined ? undefined : eq(invoices.status, query.status),
          query.period === undefined ? undefined : eq(invoices.period, query.period),
        ),
      )
      .orderBy(desc(invoices.period), asc(invoices.orgId))
      .limit(query.limit);
    return this.withLines(rows);
  }

  /** One invoice of an organization; 404 when it is another organization's. */
  async get(orgId: string, id: string): Promise<Invoice> {
    const rows = await this.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.id, id), eq(invoices.orgId, orgId)));
    const [invoice] = await this.withLines(rows);
    if (invoice === undefined) throw AppError.notFound('Invoice');
    return invoice;
  }

  /** Moves a due invoice to `paid` or `void`, audited; returns the updated invoice. */
  private async settle(
    orgId: string,
    id: string,
    to: 'paid' | 'void',
    actor: Actor,
    options: { providerVoid?: boolean } = {},
  ): Promise<Invoice> {
    const current = await this.get(orgId, id);
    if (current.status !== 'due')
      throw AppError.precondition(
        `The invoice is ${current.status}; only a due invoice can be ${to === 'paid' ? 'marked paid' : 'voided'}`,
        'invoice_not_due',
      );
    // A pushed invoice is voided at the provider first, so the customer is not asked to pay it there.
    if (to === 'void' && options.providerVoid !== false && current.providerInvoiceId !== null) {
      const provider = this.provider;
      if (provider === null)
        throw AppError.precondition(
          'The invoice is at a payment provider that is not configured',
          'provider_missing',
        );
      await provider.voidInvoice(current.providerInvoiceId);
    }
    await this.db.transaction(async (tx) => this.settleIn(tx, id, to, actor));
    return this.get(orgId, id);
  }

  private async settleIn(tx: Db, id: string, to: 'paid' | 'void', actor: Actor): Promise<boolean> {
    const [before] = await tx.select().from(invoices).where(eq(invoices.id, id)).for('update');
    if (before === undefined || before.status !== 'due') return false;
    const at = this.now();
    const [after] = await tx
      .update(invoices)
      .set({
        status: to,
        ...(to === 'paid' ? { paidAt: at } : { voidedAt: at }),
        updatedAt: at,
        updatedBy: actor.id,
      })
      .where(eq(invoices.id, id))
      .returning();
    await writeAudit(tx, actor, {
      action: to === 'paid' ? 'invoice.paid' : 'invoice.voided',
      entity: 'invoice',
      entityId: id,
      orgId: before.orgId,
      before,
      after: after ?? null,
    });
    return true;
  }

  /** The superadmin records a payment made outside the provider (the embedded default has none). */
  markPaid(orgId: string, id: string, actor: Actor): Promise<Invoice> {
    return this.settle(orgId, id, 'paid', actor);
  }

  void(orgId: string, id: string, actor: Actor): Promise<Invoice> {
    return this.settle(orgId, id, 'void', actor);
  }

  /**
   * Applies a verified provider event once: its id is stored in the same transaction as its effect, so a
   * replay is refused (409) and a failure leaves the event to be delivered again.
   */
  async applyEvent(
    providerName: string,
    event: ProviderEvent,
  ): Promise<{ invoiceId: string | null; applied: boolean }> {
    return this.db.transaction(async (tx) => {
      const [recorded] = await tx
        .insert(providerEvents)
        .values({ eventId: event.id, provider: providerName, type: event.type, receivedAt: this.now() })
        .onConflictDoNothing()
        .returning({ eventId: providerEvents.eventId });
      if (recorded === undefined)
        throw new AppError(ErrorCode.ALREADY_EXISTS, `Event ${event.id} was processed before`, {
          reason: 'webhook_replayed',
        });
      const target = await this.invoiceOfEvent(tx, event);
      if (target === null) return { invoiceId: null, applied: false };
      await tx
        .update(providerEvents)
        .set({ invoiceId: target.id })
        .where(eq(providerEvents.eventId, event.id));
      const actor = PROVIDER_ACTOR(providerName);
      switch (event.type) {
        case 'invoice.paid':
          return { invoiceId: target.id, applied: await this.settleIn(tx, target.id, 'paid', actor) };
        case 'invoice.voided':
          return { invoiceId: target.id, applied: await this.settleIn(tx, target.id, 'void', actor) };
        case 'invoice.payment_failed': {
          if (target.status !== 'due') return { invoiceId: target.id, applied: false };
          const at = this.now();
          const [after] = await tx
            .update(invoices)
            .set({
              paymentFailedAt: at,
              paymentError: event.failureMessage ?? 'The payment failed',
              updatedAt: at,
              updatedBy: actor.id,
            })
            .where(eq(invoices.id, target.id))
            .returning();
          await writeAudit(tx, actor, {
            action: 'invoice.payment_failed',
            entity: 'invoice',
            entityId: target.id,
            orgId: target.orgId,
            before: target,
            after: after ?? null,
          });
          return { invoiceId: target.id, applied: true };
        }
        default:
          return { invoiceId: target.id, applied: false };
      }
    });
  }

  private async invoiceOfEvent(tx: Db, event: ProviderEvent): Promise<InvoiceRow | null> {
    if (event.invoiceId !== null) {
      const [row] = await tx.select().from(invoices).where(eq(invoices.id, event.invoiceId)).for('update');
      if (row !== undefined) return row;
    }
    if (event.providerInvoiceId !== null) {
      const [row] = await tx
        .select()
        .from(invoices)
        .where(eq(invoices.providerInvoiceId, event.providerInvoiceId))
        .for('update');
      if (row !== undefined) return row;
    }
    return null;
  }

  /** The organization's customer at the provider, created once and remembered. */
  private async customerOf(provider: PaymentProvider, orgId: string): Promise<string> {
    const known = (await this.billingOf(orgId))?.providerCustomerId ?? null;
    if (known !== null) return known;
    const { id } = await provider.createCustomer({ orgId, key: `origo-customer-${orgId}` });
    const at = this.now();
    const actor = PROVIDER_ACTOR(provider.name);
    await this.db
      .insert(orgBilling)
      .values({
        orgId,
        providerCustomerId: id,
        createdAt: at,
        updatedAt: at,
        createdBy: actor.id,
        updatedBy: actor.id,
      })
      .onConflictDoUpdate({
        target: orgBilling.orgId,
        set: { providerCustomerId: id, updatedAt: at, updatedBy: actor.id },
      });
    return id;
  }

  /**
   * Brings the organization's customer and subscription at the provider in line with its plan: a paid plan
   * has one subscription for that plan, a free plan none. Safe to call again after a failure.
   */
  async syncOrg(orgId: string): Promise<void> {
    const provider = this.provider;
    if (provider === null) return;
    const { plan, subscription: current } = await this.deps.plans.ofOrg(orgId);
    const billing = await this.billingOf(orgId);
    const wanted = plan.priceMonthlyCents > 0 ? plan.id : null;
    if ((billing?.providerPlanId ?? null) === wanted && (wanted === null || billing?.providerSubscriptionId))
      return;
    const customerId = await this.customerOf(provider, orgId);
    if (billing?.providerSubscriptionId) await provider.cancelSubscription(billing.providerSubscriptionId);
    const subscription =
      wanted === null
        ? null
        : await provider.createSubscription({
            customerId,
            orgId,
            plan: {
              id: plan.id,
              name: plan.name,
              priceMonthlyCents: plan.priceMonthlyCents,
              currency: plan.currency,
            },
            // One key per subscription period: a move back to a plan later makes a new subscription.
            key: `origo-subscription-${orgId}-${plan.id}-${current?.periodStart.getTime() ?? 0}`,
          });
    const at = this.now();
    await this.db
      .update(orgBilling)
      .set({
        providerSubscriptionId: subscription?.id ?? null,
        providerPlanId: wanted,
        updatedAt: at,
        updatedBy: PROVIDER_ACTOR(provider.name).id,
      })
      .where(eq(orgBilling.orgId, orgId));
  }

  /** Pushes one due invoice that is not at the provider yet; returns it as stored afterwards. */
  async push(orgId: string, id: string): Promise<Invoice> {
    const provider = this.provider;
    const invoice = await this.get(orgId, id);
    if (provider === null || invoice.status !== 'due' || invoice.providerInvoiceId !== null) return invoice;
    await this.syncOrg(orgId);
    const customerId = await this.customerOf(provider, orgId);
    const pushed = await provider.pushInvoice({
      customerId,
      key: `origo-${id}`,
      invoice: {
        id,
        number: invoice.number ?? id,
        orgId,
        period: invoice.period,
        currency: invoice.currency,
        dueAt: invoice.dueAt ?? this.now(),
        lines: invoice.lines.map((line, position) => ({
          position,
          description:
            line.kind === 'plan'
              ? line.description
              : `${line.description}: ${line.billable} ${unitFor(line.billable, line.unit)}`,
          amountCents: line.amountCents,
        })),
        taxCents: invoice.taxCents,
        taxDescription: `Tax (${formatTaxPercent(invoice.taxRatePpm)}%)`,
        totalCents: invoice.totalCents,
      },
    });
    await this.db.transaction(async (tx) => {
      const [before] = await tx.select().from(invoices).where(eq(invoices.id, id)).for('update');
      const at = this.now();
      const actor = PROVIDER_ACTOR(provider.name);
      const [after] = await tx
        .update(invoices)
        .set({ provider: provider.name, providerInvoiceId: pushed.id, updatedAt: at, updatedBy: actor.id })
        .where(eq(invoices.id, id))
        .returning();
      await writeAudit(tx, actor, {
        action: 'invoice.pushed',
        entity: 'invoice',
        entityId: id,
        orgId,
        before: before ?? null,
        after: after ?? null,
      });
    });
    return this.get(orgId, id);
  }

  /** Pushes every due invoice not yet at the provider (after a provider outage, on the next run). */
  async pushPending(): Promise<number> {
    if (this.provider === null) return 0;
    const pending = await this.db
      .select({ id: invoices.id, orgId: invoices.orgId })
      .from(invoices)
      .where(
        and(
          eq(invoices.status, 'due'),
          isNull(invoices.providerInvoiceId),
          lte(invoices.issuedAt, this.now()),
        ),
      )
      .orderBy(asc(invoices.issuedAt));
    let pushed = 0;
    for (const { id, orgId } of pending) {
      try {
        await this.push(orgId, id);
        pushed += 1;
      } catch (err) {
        this.logger.warn({ err, invoice_id: id }, 'could not push an invoice to the payment provider');
      }
    }
    return pushed;
  }

  /** The month-end job's one run: close the month that is due, then push what is not at the provider. */
  async runJob(): Promise<{ period: string | null; created: number; pushed: number }> {
    const period = this.closablePeriod();
    const created =
      period === null ? 0 : (await this.close(period, { id: 'service:billing-invoices' })).created.length;
    const pushed = await this.pushPending();
    return { period: period?.period ?? null, created, pushed };
  }
}
