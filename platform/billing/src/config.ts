import { z } from 'zod';
import { env } from '@origo/kit';
import { parseTaxPercent } from './invoice-math.js';
import type { InvoiceSettings } from './invoices.js';
import type { PaymentProvider } from './provider/provider.js';
import { DEFAULT_TOLERANCE_SECONDS } from './provider/stripe-signature.js';
import { StripeProvider } from './provider/stripe.js';

/**
 * Environment variables of the billing role (besides the common ones: ORIGO_DATA, DATABASE_URL,
 * REDIS_URL, LOG_LEVEL). In one process the auth address comes from the AddressBook; distributed,
 * AUTH_URL is required.
 */
export const billingConfigSchema = z
  .object({
    BILLING_HTTP_PORT: env.port().optional(),
    BILLING_GRPC_PORT: env.port().optional(),
    BILLING_HOST: z.string().min(1).optional(),
    /** Where the browser reaches Origo (the trusted origin of cookie-authenticated changes). */
    ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
    AUTH_URL: env.url(['http', 'https']).optional(),
    AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
    AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
    /** Tax on every invoice, in percent (`19`, `8.875`); an organization may have its own rate. */
    BILLING_TAX_RATE_PERCENT: z
      .string()
      .refine((v) => parseTaxPercent(v) !== null, 'must be a percent from 0 to 100 with at most 4 decimals')
      .default('0'),
    /** Invoice numbers read `<prefix>-<year>-000001`. */
    BILLING_INVOICE_PREFIX: z
      .string()
      .regex(/^[A-Z0-9]{1,12}$/, 'must be 1 to 12 capital letters or digits')
      .default('INV'),
    /** Days between an invoice's issue and its due date. */
    BILLING_INVOICE_DUE_DAYS: env.int(30, 0, 365),
    /** Hours after a month ends before it is invoiced, so late room events still count. */
    BILLING_INVOICE_GRACE_HOURS: env.int(6, 0, 240),
    /** `none` (invoices stay due until the superadmin records the payment) or `stripe`. */
    BILLING_PROVIDER: z.enum(['none', 'stripe'], { error: 'must be none or stripe' }).default('none'),
    STRIPE_API_BASE: env.url(['https', 'http']).default('https://api.stripe.com'),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** How far a webhook's signed timestamp may be from our clock. */
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: env.int(DEFAULT_TOLERANCE_SECONDS, 1, 3600),
  })
  .superRefine((config, ctx) => {
    if (config.BILLING_PROVIDER !== 'stripe') return;
    for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const)
      if (config[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: 'must be set when BILLING_PROVIDER=stripe' });
  });
export type BillingEnvConfig = z.infer<typeof billingConfigSchema>;

/** The invoice settings and the payment provider (null: none) the configuration asks for. */
export function invoicingFromConfig(config: BillingEnvConfig): {
  settings: InvoiceSettings;
  provider: PaymentProvider | null;
} {
  const settings: InvoiceSettings = {
    taxRatePpm: parseTaxPercent(config.BILLING_TAX_RATE_PERCENT) ?? 0,
    numberPrefix: config.BILLING_INVOICE_PREFIX,
    dueDays: config.BILLING_INVOICE_DUE_DAYS,
    graceHours: config.BILLING_INVOICE_GRACE_HOURS,
  };
  if (config.BILLING_PROVIDER === 'none') return { settings, provider: null };
  return {
    settings,
    provider: new StripeProvider({
      apiBase: config.STRIPE_API_BASE,
      secretKey: config.STRIPE_SECRET_KEY ?? '',
      webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? '',
      toleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      daysUntilDue: config.BILLING_INVOICE_DUE_DAYS,
    }),
  };
}
