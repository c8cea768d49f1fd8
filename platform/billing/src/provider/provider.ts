// The payment provider seam: billing computes every invoice itself; a provider keeps a customer and a
// subscription per organization, collects the invoices billing pushes, and reports back by webhook. Without
// a provider (the embedded default) invoices stay due until the superadmin records the payment.

/** What a provider is told about an invoice; amounts in the smallest unit of `currency`. */
export interface ProviderInvoice {
  id: string;
  number: string;
  orgId: string;
  period: string;
  currency: string;
  dueAt: Date;
  lines: ReadonlyArray<{ position: number; description: string; amountCents: number }>;
  taxCents: number;
  /** `Tax (19%)`. */
  taxDescription: string;
  totalCents: number;
}

export interface ProviderPlan {
  id: string;
  name: string;
  priceMonthlyCents: number;
  currency: string;
}

/** A verified webhook event about an invoice. */
export interface ProviderEvent {
  id: string;
  type: string;
  /** The provider's invoice id, when the event is about an invoice. */
  providerInvoiceId: string | null;
  /** Billing's invoice id, from the metadata billing pushed with it. */
  invoiceId: string | null;
  /** For failed payments: what the provider said, for people. */
  failureMessage: string | null;
}

export interface PaymentProvider {
  /** Stored with each pushed invoice (`stripe`). */
  readonly name: string;
  /** `key` makes a retried call create nothing twice. */
  createCustomer(input: { orgId: string; key: string }): Promise<{ id: string }>;
  createSubscription(input: {
    customerId: string;
    orgId: string;
    plan: ProviderPlan;
    key: string;
  }): Promise<{ id: string }>;
  cancelSubscription(subscriptionId: string): Promise<void>;
  /** Creates, fills and finalizes the invoice at the provider; returns the provider's id. */
  pushInvoice(input: { customerId: string; invoice: ProviderInvoice; key: string }): Promise<{ id: string }>;
  voidInvoice(providerInvoiceId: string): Promise<void>;
  /**
   * Checks a webhook's signature over the raw body and its timestamp against `now`, and reads the event.
   * Throws an AppError (400) when the signature is missing or wrong or the timestamp is outside the window.
   */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined, now: Date): ProviderEvent;
}
