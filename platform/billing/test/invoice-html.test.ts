// The printable invoice's wording, rendered from a hand-made invoice (the numbers come from invoice-math).
import { describe, expect, it } from 'vitest';
import { renderInvoiceHtml } from '../src/invoice-html.js';
import type { Invoice } from '../src/invoices.js';

const line = (quantity: number) => ({
  kind: 'participant_minutes' as const,
  description: 'Participant minutes',
  unit: 'minute',
  quantity,
  included: 0,
  billable: quantity,
  unitPriceMicrocents: 400_000,
  amountCents: Math.round(quantity * 0.4),
});

const invoice = (quantity: number): Invoice => ({
  id: 'inv_1',
  number: 'INV-2026-000001',
  orgId: 'org_a',
  period: '2026-11',
  periodStart: new Date('2026-11-01T00:00:00Z'),
  periodEnd: new Date('2026-12-01T00:00:00Z'),
  planId: 'pro',
  planName: 'Pro',
  currency: 'USD',
  status: 'due',
  lines: [line(quantity)],
  subtotalCents: 0,
  taxRatePpm: 0,
  taxCents: 0,
  totalCents: 0,
  issuedAt: new Date('2026-12-01T06:00:00Z'),
  dueAt: new Date('2026-12-31T06:00:00Z'),
  paidAt: null,
  voidedAt: null,
  paymentFailedAt: null,
  paymentError: null,
  provider: null,
  providerInvoiceId: null,
});

describe('the printable invoice', () => {
  it('counts one minute in the singular and more in the plural', () => {
    expect(renderInvoiceHtml(invoice(1))).toContain('<td class="num">1 minute</td>');
    expect(renderInvoiceHtml(invoice(2))).toContain('<td class="num">2 minutes</td>');
  });

  it('names the organization when its name is known, and shows the id alone otherwise', () => {
    expect(renderInvoiceHtml(invoice(1), 'Acme <Labs>')).toContain(
      '<dt>Organization</dt><dd>Acme &lt;Labs&gt; (org_a)</dd>',
    );
    expect(renderInvoiceHtml(invoice(1))).toContain('<dt>Organization</dt><dd>org_a</dd>');
  });
});
