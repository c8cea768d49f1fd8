// Routes of platform/billing (src/http/routes.ts).
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
}

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
}

export interface UsagePage {
  from: string;
  to: string;
  items: DayUsage[];
}

export const billingApi = {
  plans: () => api<{ items: Plan[] }>('GET', '/api/billing/plans'),
  subscription: (orgId: string) =>
    api<OrgPlan>('GET', `/api/billing/orgs/${encodeURIComponent(orgId)}/subscription`),
  orgUsage: (orgId: string) => api<UsagePage>('GET', `/api/billing/orgs/${encodeURIComponent(orgId)}/usage`),
  allUsage: () => api<UsagePage>('GET', '/api/billing/usage'),
};

/** `1499, USD` -> `USD 14.99`; money is kept in the smallest unit. */
export function formatPrice(cents: number, currency: string): string {
  return cents === 0 ? 'Free' : `${currency} ${(cents / 100).toFixed(2)}`;
}
