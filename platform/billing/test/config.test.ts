import { describe, expect, it } from 'vitest';
import { loadConfig } from '@origo/kit';
import { billingConfigSchema, invoicingFromConfig } from '../src/config.js';
import { StripeProvider } from '../src/provider/stripe.js';

describe('invoice and payment provider settings', () => {
  it('defaults to no provider, no tax and invoices due in 30 days', () => {
    const { settings, provider } = invoicingFromConfig(loadConfig(billingConfigSchema, {}));
    expect(provider).toBeNull();
    expect(settings).toEqual({ taxRatePpm: 0, numberPrefix: 'INV', dueDays: 30, graceHours: 6 });
  });

  it('reads the tax rate exactly and builds the Stripe adapter from its keys', () => {
    const { settings, provider } = invoicingFromConfig(
      loadConfig(billingConfigSchema, {
        BILLING_TAX_RATE_PERCENT: '8.875',
        BILLING_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_x',
        STRIPE_WEBHOOK_SECRET: 'whsec_x',
      }),
    );
    expect(settings.taxRatePpm).toBe(88_750);
    expect(provider).toBeInstanceOf(StripeProvider);
  });

  it('stops with one line naming the variable that is wrong or missing, without echoing secrets', () => {
    expect(() => loadConfig(billingConfigSchema, { BILLING_TAX_RATE_PERCENT: '8,5' })).toThrow(
      /^Invalid configuration: BILLING_TAX_RATE_PERCENT is invalid: must be a percent/,
    );
    expect(() => loadConfig(billingConfigSchema, { BILLING_PROVIDER: 'paypal' })).toThrow(
      /BILLING_PROVIDER is invalid: must be none or stripe/,
    );
    expect(() =>
      loadConfig(billingConfigSchema, { BILLING_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_live_secret' }),
    ).toThrow(
      /^Invalid configuration: STRIPE_WEBHOOK_SECRET is invalid: must be set when BILLING_PROVIDER=stripe$/,
    );
    expect(() =>
      loadConfig(billingConfigSchema, { BILLING_PROVIDER: 'stripe', STRIPE_WEBHOOK_SECRET: 'whsec_secret' }),
    ).toThrow(/STRIPE_SECRET_KEY/);
  });
});
