// A payment provider that speaks Stripe's REST API with plain fetch: form-encoded requests with bracketed
// keys, a secret key as the bearer, an Idempotency-Key on every create, and Stripe-signed webhooks.
// Subscriptions mirror each organization's plan at Stripe with collection paused (`void`), because the
// monthly statement billing pushes already carries the plan's price: the customer gets one bill a month.
import { z } from 'zod';
import { AppError, ErrorCode } from '@origo/kit';
import type { PaymentProvider, ProviderEvent } from './provider.js';
import { verifyStripeSignature } from './stripe-signature.js';

export interface StripeOptions {
  /** `https://api.stripe.com`, or a Stripe-shaped server. */
  apiBase: string;
  secretKey: string;
  webhookSecret: string;
  toleranceSeconds: number;
  /** Days a pushed invoice gives the customer to pay. */
  daysUntilDue: number;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

type FormValue = string | number | boolean | null | undefined | FormFields | FormValue[];
interface FormFields {
  [key: string]: FormValue;
}

/** Stripe's form encoding: nested objects as `a[b][c]=v`, arrays as `a[0][b]=v`; null and undefined left out. */
export function stripeForm(fields: FormFields): URLSearchParams {
  const out = new URLSearchParams();
  const add = (key: string, value: FormValue) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) value.forEach((item, i) => add(`${key}[${i}]`, item));
    else if (typeof value === 'object')
      for (const [k, v] of Object.entries(value)) add(key === '' ? k : `${key}[${k}]`, v);
    else out.append(key, String(value));
  };
  add('', fields);
  return out;
}

const created = z.object({ id: z.string().min(1).max(255) });

const eventSchema = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  data: z.object({
    object: z
      .object({
        id: z.string().max(255).optional(),
        object: z.string().optional(),
        metadata: z.record(z.string(), z.string()).nullish(),
        attempt_count: z.number().int().nonnegative().optional(),
      })
      .loose(),
  }),
});

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly base: string;

  constructor(private readonly options: StripeOptions) {
    this.base = options.apiBase.replace(/\/+$/, '');
  }

  private async request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    fields: FormFields = {},
    idempotencyKey?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.secretKey}` };
    let body: string | undefined;
    if (method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = stripeForm(fields).toString();
    }
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new AppError(ErrorCode.UNAVAILABLE, 'The payment provider could not be reached', {
        reason: 'provider_unavailable',
        cause: err,
      });
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsed = {};
    }
    return { status: response.status, body: parsed };
  }

  private async create(path: string, fields: FormFields, key: string): Promise<{ id: string }> {
    const { status, body } = await this.request('POST', path, fields, key);
    if (status < 200 || status >= 300) throw providerError(path, status, body);
    const result = created.safeParse(body);
    if (!result.success)
      throw new AppError(ErrorCode.UNAVAILABLE, `The payment provider answered ${path} without an id`, {
        reason: 'provider_error',
      });
    return result.data;
  }

  createCustomer(input: { orgId: string; key: string }): Promise<{ id: string }> {
    return this.create(
      '/v1/customers',
      { description: `Origo organization ${input.orgId}`, metadata: { org_id: input.orgId } },
      input.key,
    );
  }

  async createSubscription(input: Parameters<PaymentProvider['createSubscription']>[0]) {
    const product = `origo_plan_${input.plan.id}`;
    const existing = await this.request('GET', `/v1/products/${encodeURIComponent(product)}`);
    if (existing.status === 404)
      await this.create(
        '/v1/products',
        { id: product, name: `Origo ${input.plan.name}` },
        `${input.key}-product`,
      );
    else if (existing.status < 200 || existing.status >= 300)
      throw providerError('/v1/products', existing.status, existing.body);
    return this.create(
      '/v1/subscriptions',
      {
        customer: input.customerId,
        collection_method: 'send_invoice',
        days_until_due: this.options.daysUntilDue,
        items: [
          {
            price_data: {
              currency: input.plan.currency.toLowerCase(),
              product,
              unit_amount: input.plan.priceMonthlyCents,
              recurring: { interval: 'month' },
            },
          },
        ],
        pause_collection: { behavior: 'void' },
        metadata: { org_id: input.orgId, plan_id: input.plan.id },
      },
      input.key,
    );
  }

  async cancelSubscription(subscriptionId: string): Promise<void> {
    const path = `/v1/subscriptions/${encodeURIComponent(subscriptionId)}`;
    const { status, body } = await this.request('DELETE', path);
    // Already gone counts as done.
    if (status === 404) return;
    if (status < 200 || status >= 300) throw providerError(path, status, body);
  }

  async pushInvoice(input: Parameters<PaymentProvider['pushInvoice']>[0]): Promise<{ id: string }> {
    const { invoice, customerId, key } = input;
    const currency = invoice.currency.toLowerCase();
    const { id } = await this.create(
      '/v1/invoices',
      {
        customer: customerId,
        currency,
        collection_method: 'send_invoice',
        due_date: Math.floor(invoice.dueAt.getTime() / 1000),
        auto_advance: false,
        pending_invoice_items_behavior: 'exclude',
        number: invoice.number,
        description: `Origo, ${invoice.period}`,
        metadata: {
          origo_invoice_id: invoice.id,
          origo_invoice_number: invoice.number,
          org_id: invoice.orgId,
        },
      },
      `${key}-invoice`,
    );
    const items = invoice.lines
      .filter((line) => line.amountCents > 0)
      .map((line) => ({ ...line, itemKey: `${key}-line-${line.position}` }));
    if (invoice.taxCents > 0)
      items.push({
        position: -1,
        description: invoice.taxDescription,
        amountCents: invoice.taxCents,
        itemKey: `${key}-tax`,
      });
    for (const item of items) {
      await this.create(
        '/v1/invoiceitems',
        {
          customer: customerId,
          invoice: id,
          currency,
          amount: item.amountCents,
          description: item.description,
        },
        item.itemKey,
      );
    }
    await this.create(`/v1/invoices/${encodeURIComponent(id)}/finalize`, {}, `${key}-finalize`);
    return { id };
  }

  async voidInvoice(providerInvoiceId: string): Promise<void> {
    const path = `/v1/invoices/${encodeURIComponent(providerInvoiceId)}/void`;
    const { status, body } = await this.request('POST', path, {}, `void-${providerInvoiceId}`);
    if (status < 200 || status >= 300) throw providerError(path, status, body);
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined, now: Date): ProviderEvent {
    verifyStripeSignature({
      payload: rawBody,
      header: signatureHeader,
      secret: this.options.webhookSecret,
      nowSeconds: Math.floor(now.getTime() / 1000),
      toleranceSeconds: this.options.toleranceSeconds,
    });
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw AppError.invalid('The webhook body is not JSON');
    }
    const parsed = eventSchema.safeParse(json);
    if (!parsed.success) throw AppError.invalid('The webhook body is not a Stripe event');
    const { id, type, data } = parsed.data;
    const object = data.object;
    const isInvoice = object.object === 'invoice' || type.startsWith('invoice.');
    return {
      id,
      type,
      providerInvoiceId: isInvoice ? (object.id ?? null) : null,
      invoiceId: isInvoice ? (object.metadata?.['origo_invoice_id'] ?? null) : null,
      failureMessage:
        type === 'invoice.payment_failed'
          ? `The payment failed at Stripe${object.attempt_count === undefined ? '' : ` (attempt ${object.attempt_count})`}`
          : null,
    };
  }
}

function providerError(path: string, status: number, body: Record<string, unknown>): AppError {
  const error = body['error'] as { message?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : `HTTP ${status}`;
  return new AppError(ErrorCode.UNAVAILABLE, `The payment provider refused ${path}: ${message}`, {
    reason: 'provider_error',
  });
}
