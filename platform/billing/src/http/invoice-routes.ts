// REST routes of invoices, behind the gateway under /api/billing. An organization's admins read its
// invoices (JSON and the printable page) and the draft of the month so far; the superadmin reads every
// organization's, closes a month on demand, records payments made outside the provider, voids invoices and
// sets an organization's own tax rate. The provider's webhook is in webhook-routes.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, parseOrThrow, type Logger } from '@origo/kit';
import { principalOf, requirePermission } from '@origo/auth/client';
import type { Actor } from '../audit.js';
import { formatTaxPercent, parsePeriod, parseTaxPercent, periodOf, type Period } from '../invoice-math.js';
import { renderInvoiceHtml } from '../invoice-html.js';
import type { Invoice, InvoiceStore } from '../invoices.js';
import type { Organizations } from '../organizations.js';
import { credentialsOf } from './routes.js';

const ID = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 plain characters');
const orgParams = z.strictObject({ orgId: ID });
const invoiceParams = z.strictObject({
  orgId: ID,
  invoiceId: z.string().regex(/^inv_[A-Za-z0-9_-]{1,64}$/, 'must be an invoice id'),
});
// parsePeriod is the one reader of a month: it also refuses months before 1970, which no invoice has.
const PERIOD = z
  .string()
  .refine((text) => parsePeriod(text) !== null, 'must be a month from 1970-01 on, YYYY-MM');
const STATUS = z.enum(['due', 'paid', 'void']);
const LIMIT = z.coerce.number().int().min(1).max(500).default(100);
const orgListQuery = z.strictObject({ status: STATUS.optional(), limit: LIMIT });
const allListQuery = z.strictObject({
  status: STATUS.optional(),
  period: PERIOD.optional(),
  org_id: ID.optional(),
  limit: LIMIT,
});
const previewQuery = z.strictObject({ period: PERIOD.optional() });
const closeBody = z.strictObject({ period: PERIOD });
const taxBody = z.strictObject({
  tax_rate_percent: z
    .string()
    .refine((v) => parseTaxPercent(v) !== null, 'must be a percent from 0 to 100 with at most 4 decimals')
    .nullable(),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function invoiceJson(invoice: Invoice) {
  return {
    id: invoice.id,
    number: invoice.number,
    org_id: invoice.orgId,
    period: invoice.period,
    period_start: invoice.periodStart.toISOString(),
    period_end: invoice.periodEnd.toISOString(),
    plan_id: invoice.planId,
    plan_name: invoice.planName,
    currency: invoice.currency,
    status: invoice.status,
    lines: invoice.lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      unit: l.unit,
      quantity: l.quantity,
      included: l.included,
      billable: l.billable,
      unit_price_microcents: l.unitPriceMicrocents,
      amount_cents: l.amountCents,
    })),
    subtotal_cents: invoice.subtotalCents,
    tax_rate_ppm: invoice.taxRatePpm,
    tax_rate_percent: formatTaxPercent(invoice.taxRatePpm),
    tax_cents: invoice.taxCents,
    total_cents: invoice.totalCents,
    issued_at: iso(invoice.issuedAt),
    due_at: iso(invoice.dueAt),
    paid_at: iso(invoice.paidAt),
    voided_at: iso(invoice.voidedAt),
    payment_failed_at: iso(invoice.paymentFailedAt),
    payment_error: invoice.paymentError,
    provider: invoice.provider,
    provider_invoice_id: invoice.providerInvoiceId,
    html_url:
      invoice.id === null
        ? `/api/billing/orgs/${invoice.orgId}/invoices/preview/html?period=${invoice.period}`
        : `/api/billing/orgs/${invoice.orgId}/invoices/${invoice.id}/html`,
  };
}

function taxJson(orgId: string, rate: { ppm: number; own: boolean }) {
  return {
    org_id: orgId,
    tax_rate_percent: formatTaxPercent(rate.ppm),
    tax_rate_ppm: rate.ppm,
    own_rate: rate.own,
  };
}

export function registerInvoiceRoutes(
  app: FastifyInstance,
  deps: {
    invoices: InvoiceStore;
    logger: Logger;
    /** Auth's organizations: a tax rate is kept only for one that exists; the printed page names it. */
    organizations: Organizations;
    now?: () => Date;
  },
): void {
  const { invoices, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const actor = (request: FastifyRequest): Actor => ({
    id: principalOf(request).userId,
    requestId: request.id,
  });
  const orgAdmin = requirePermission('audit:read', { orgParam: 'orgId' });
  const superadmin = requirePermission('platform:admin');

  /** The organization's name for the printed page; null (the id alone is shown) when auth does not answer. */
  const orgName = async (request: FastifyRequest, orgId: string): Promise<string | null> => {
    try {
      return (await deps.organizations.lookup(orgId, credentialsOf(request)))?.name ?? null;
    } catch (err) {
      logger.warn({ err, orgId }, 'printable invoice shows the organization id: auth did not answer');
      return null;
    }
  };

  /** The month a preview covers: the current one by default, never one that has not begun. */
  const previewPeriod = (request: FastifyRequest): Period => {
    const { period } = parseOrThrow(previewQuery, request.query);
    const current = periodOf(now());
    const chosen = period === undefined ? current : (parsePeriod(period) as Period);
    if (chosen.start.getTime() > current.start.getTime())
      throw AppError.invalid('Invalid query parameters', [
        { field: 'period', message: 'must not be a month that has not begun' },
      ]);
    return chosen;
  };

  app.get('/api/billing/orgs/:orgId/invoices', { ...orgAdmin }, async (request) => {
    const { orgId } = parseOrThrow(orgParams, request.params);
    const query = parseOrThrow(orgListQuery, request.query);
    const items = await invoices.list({ orgId, status: query.status, limit: query.limit });
    return { org_id: orgId, items: items.map(invoiceJson) };
  });

  app.get('/api/billing/orgs/:orgId/invoices/preview', { ...orgAdmin }, async (request) => {
    const { orgId } = parseOrThrow(orgParams, request.params);
    return invoiceJson(await invoices.preview(orgId, previewPeriod(request)));
  });

  app.get('/api/billing/orgs/:orgId/invoices/preview/html', { ...orgAdmin }, async (request, reply) => {
    const { orgId } = parseOrThrow(orgParams, request.params);
    const [invoice, name] = await Promise.all([
      invoices.preview(orgId, previewPeriod(request)),
      orgName(request, orgId),
    ]);
    const html = renderInvoiceHtml(invoice, name);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });

  app.get('/api/billing/orgs/:orgId/invoices/:invoiceId', { ...orgAdmin }, async (request) => {
    const { orgId, invoiceId } = parseOrThrow(invoiceParams, request.params);
    return invoiceJson(await invoices.get(orgId, invoiceId));
  });

  app.get('/api/billing/orgs/:orgId/invoices/:invoiceId/html', { ...orgAdmin }, async (request, reply) => {
    const { orgId, invoiceId } = parseOrThrow(invoiceParams, request.params);
    const [invoice, name] = await Promise.all([invoices.get(orgId, invoiceId), orgName(request, orgId)]);
    const html = renderInvoiceHtml(invoice, name);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });

  app.post('/api/billing/orgs/:orgId/invoices/:invoiceId/mark-paid', { ...superadmin }, async (request) => {
    const { orgId, invoiceId } = parseOrThrow(invoiceParams, request.params);
    return invoiceJson(await invoices.markPaid(orgId, invoiceId, actor(request)));
  });

  app.post('/api/billing/orgs/:orgId/invoices/:invoiceId/void', { ...superadmin }, async (request) => {
    const { orgId, invoiceId } = parseOrThrow(invoiceParams, request.params);
    return invoiceJson(await invoices.void(orgId, invoiceId, actor(request)));
  });

  app.get('/api/billing/invoices', { ...superadmin }, async (request) => {
    const query = parseOrThrow(allListQuery, request.query);
    const items = await invoices.list({
      orgId: query.org_id,
      status: query.status,
      period: query.period,
      limit: query.limit,
    });
    return { items: items.map(invoiceJson) };
  });

  app.post('/api/billing/invoices/close', { ...superadmin }, async (request) => {
    const body = parseOrThrow(closeBody, request.body, 'Invalid request body');
    const period = parsePeriod(body.period) as Period;
    const result = await invoices.close(period, actor(request));
    // Pushing is retried by the job; a provider outage does not undo the closing.
    const pushed = await invoices.pushPending().catch((err: unknown) => {
      logger.warn({ err }, 'could not push invoices to the payment provider');
      return 0;
    });
    const created =
      pushed === 0
        ? result.created
        : await Promise.all(result.created.map((i) => invoices.get(i.orgId, i.id as string)));
    return { period: period.period, created: created.map(invoiceJson), existing: result.existing };
  });

  app.get('/api/billing/orgs/:orgId/tax-rate', { ...orgAdmin }, async (request) => {
    const { orgId } = parseOrThrow(orgParams, request.params);
    return taxJson(orgId, await invoices.taxRateOf(orgId));
  });

  app.put('/api/billing/orgs/:orgId/tax-rate', { ...superadmin }, async (request) => {
    const { orgId } = parseOrThrow(orgParams, request.params);
    const body = parseOrThrow(taxBody, request.body, 'Invalid request body');
    const ppm = body.tax_rate_percent === null ? null : parseTaxPercent(body.tax_rate_percent);
    if ((await deps.organizations.lookup(orgId, credentialsOf(request))) === null)
      throw AppError.notFound('Organization');
    return taxJson(orgId, await invoices.setTaxRate(orgId, ppm, actor(request)));
  });
}
