// Public entry of @origo/billing.
export { createBillingService, openBillingDatabase, BILLING_MIGRATIONS } from './service.js';
export type { BillingService, BillingServiceDeps, BillingDatabase } from './service.js';
export { billingRole } from './role.js';
export { createHttpOrganizations, type Organizations } from './organizations.js';
export { billingConfigSchema, invoicingFromConfig, type BillingEnvConfig } from './config.js';
export { PlanStore, SEED_PLANS, DEFAULT_PLAN_ID, type PlanInput, type OrgPlan } from './plans.js';
export { UsageStore, roomKeyOf, type UsageEvent, type OrgDayUsage } from './usage.js';
export {
  meterRoom,
  meterRecording,
  storagePerDay,
  utcDay,
  type MeterEvent,
  type DayUsage,
  type RoomEventKind,
  type RecordingEventKind,
  type RecordingMeterEvent,
  type RecordingUsage,
  type StoredSpan,
} from './metering.js';
export { RecordingUsageStore, type RecordingUsageEvent } from './recording-usage.js';
export { decideJoin, decideRecording, type JoinDecision, type RecordingUse } from './quota.js';
export { MAX_USAGE_BATCH, parseUsageEvent } from './grpc.js';
export {
  InvoiceStore,
  DEFAULT_INVOICE_SETTINGS,
  type Invoice,
  type InvoiceSettings,
  type InvoiceStatus,
} from './invoices.js';
export {
  computeInvoice,
  parsePeriod,
  parseTaxPercent,
  type InvoiceLine,
  type InvoiceTotals,
  type UsageTotals,
} from './invoice-math.js';
export { StripeProvider, type StripeOptions } from './provider/stripe.js';
export type { PaymentProvider, ProviderEvent, ProviderInvoice, ProviderPlan } from './provider/provider.js';
export * as billingSchema from './db/schema.js';
