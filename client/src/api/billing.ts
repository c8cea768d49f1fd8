// Routes of platform/billing (src/http/routes.ts).
import { qs, type AuditEvent, type Page } from './auth.js';
import { api } from './http.js';

export interface Plan {
  id: string;
  name: string;
  max_participants: number;
  /** 0 means no cap. */
  max_meeting_minutes: number;
  recording_allowed: boolean;
  recording_hours: number;
  storage_gb: number;
  price_monthly_cents: number;
  currency: string;
  active: boolean;
  /** Unit prices beyond what the plan includes, in millionths of the smallest currency unit. */
  overage_participant_minute_microcents: number;
  overage_meeting_minute_microcents: number;
  overage_recording_minute_microcents: number;
  overage_storage_gb_day_microcents: number;
}

/** What the superadmin writes: every field of a plan but its id and who changed it last. */
export type PlanBody = Omit<Plan, 'id'>;

export interface OrgPlan {
  org_id: string;
  plan: Plan;
  period_start: string | null;
  period_end: string | null;
  default_plan: boolean;
}

export interface DayUsage {
  org_id: string;
  day: string;
  participant_minutes: number;
  meeting_minutes: number;
  /** Present once billing meters recordings. */
  recording_minutes?: number;
  storage_gb_days?: number;
  /** Bytes the SFU sent to the day's meetings, and the same in GB: an estimate, not charged. */
  egress_bytes?: number;
  egress_gb?: number;
  [metric: string]: string | number | null | undefined;
}

export interface UsagePage {
  from: string;
  to: string;
  items: DayUsage[];
}

/** A monthly statement (platform/billing src/http/invoice-routes.ts); a preview has no id or number yet. */
export interface Invoice {
  id: string | null;
  number: string | null;
  org_id: string;
  /** `YYYY-MM` */
  period: string;
  plan_name: string;
  currency: string;
  status: 'draft' | 'due' | 'paid' | 'void';
  subtotal_cents: number;
  tax_rate_percent: string;
  tax_cents: number;
  total_cents: number;
  issued_at: string | null;
  due_at: string | null;
  paid_at: string | null;
  /** The printable page (HTML; the browser prints it to PDF). */
  html_url: string;
}

export const billingApi = {
  plans: () => api<{ items: Plan[] }>('GET', '/api/billing/plans'),
  subscription: (orgId: string) =>
    api<OrgPlan>('GET', `/api/billing/orgs/${encodeURIComponent(orgId)}/subscription`),
  orgUsage: (orgId: string) => api<UsagePage>('GET', `/api/billing/orgs/${encodeURIComponent(orgId)}/usage`),
  allUsage: () => api<UsagePage>('GET', '/api/billing/usage'),
  invoices: (orgId: string) =>
    api<{ org_id: string; items: Invoice[] }>(
      'GET',
      `/api/billing/orgs/${encodeURIComponent(orgId)}/invoices`,
    ),
  /** The statement of the current month so far. */
  invoicePreview: (orgId: string) =>
    api<Invoice>('GET', `/api/billing/orgs/${encodeURIComponent(orgId)}/invoices/preview`),
  /** Superadmin: every organization's invoices. */
  allInvoices: () => api<{ items: Invoice[] }>('GET', '/api/billing/invoices'),
  /** Superadmin: replaces a plan's limits and prices. */
  updatePlan: (id: string, body: PlanBody) =>
    api<Plan>('PUT', `/api/billing/plans/${encodeURIComponent(id)}`, body),
  /** Superadmin: a new plan (409 when the id is taken). */
  createPlan: (id: string, body: PlanBody) => api<Plan>('POST', '/api/billing/plans', { id, ...body }),
  /** Superadmin: billing's audit log (plans, subscriptions, tax settings, invoices). */
  audit: (filter: Record<string, string> = {}, cursor?: string) =>
    api<Page<AuditEvent>>('GET', `/api/billing/audit${qs({ ...filter, cursor, limit: 50 })}`),
  /** Org admins: their organization's subscription changes. */
  orgAudit: (orgId: string, filter: Record<string, string> = {}, cursor?: string) =>
    api<Page<AuditEvent>>(
      'GET',
      `/api/billing/orgs/${encodeURIComponent(orgId)}/audit${qs({ ...filter, cursor, limit: 50 })}`,
    ),
  /** Superadmin: moves an organization to another plan. */
  setPlan: (orgId: string, planId: string) =>
    api<OrgPlan>('PUT', `/api/billing/orgs/${encodeURIComponent(orgId)}/subscription`, { plan_id: planId }),
};

/** A plan's monthly price as a sentence part: `USD 14.99 a month`, or `no charge`. */
export function formatPlanPrice(cents: number, currency: string): string {
  return cents === 0 ? 'no charge' : `${formatAmount(cents, currency)} a month`;
}

/** `1499, USD` -> `USD 14.99`, also for zero (an invoice total). */
export function formatAmount(cents: number, currency: string): string {
  return `${currency} ${(cents / 100).toFixed(2)}`;
}
