// The plan editor's form: a plan as the text of its inputs, and back into the body billing takes. Field
// keys are billing's own names, so a problem+json from billing lands next to the input it is about.
import type { Plan, PlanBody } from '../../api/billing.js';
import type { FieldError } from '../../api/http.js';

const WHOLE = [
  'max_participants',
  'max_meeting_minutes',
  'recording_hours',
  'storage_gb',
  'overage_participant_minute_microcents',
  'overage_meeting_minute_microcents',
  'overage_recording_minute_microcents',
  'overage_storage_gb_day_microcents',
] as const;

export type WholeField = (typeof WHOLE)[number];

/** Every input of the form as typed; `price_monthly_cents` holds the price in currency units ("14.99"). */
export type PlanForm = Record<WholeField | 'id' | 'name' | 'price_monthly_cents' | 'currency', string> & {
  recording_allowed: boolean;
  active: boolean;
};

export type PlanFormErrors = Partial<Record<keyof PlanForm, string>>;

/** The form of an existing plan, or of a new one (empty id, the free plan's limits as a start). */
export function planFormOf(plan?: Plan): PlanForm {
  return {
    id: plan?.id ?? '',
    name: plan?.name ?? '',
    max_participants: String(plan?.max_participants ?? 100),
    max_meeting_minutes: String(plan?.max_meeting_minutes ?? 40),
    recording_allowed: plan?.recording_allowed ?? false,
    recording_hours: String(plan?.recording_hours ?? 0),
    storage_gb: String(plan?.storage_gb ?? 0),
    price_monthly_cents: ((plan?.price_monthly_cents ?? 0) / 100).toFixed(2),
    currency: plan?.currency ?? 'USD',
    active: plan?.active ?? true,
    overage_participant_minute_microcents: String(plan?.overage_participant_minute_microcents ?? 0),
    overage_meeting_minute_microcents: String(plan?.overage_meeting_minute_microcents ?? 0),
    overage_recording_minute_microcents: String(plan?.overage_recording_minute_microcents ?? 0),
    overage_storage_gb_day_microcents: String(plan?.overage_storage_gb_day_microcents ?? 0),
  };
}

/**
 * The body billing takes, or what is wrong with the form's text. Only the shape is checked here (whole
 * numbers, a price with at most two decimals); the limits themselves are billing's to judge.
 */
export function planBodyOf(
  form: PlanForm,
): { ok: true; body: PlanBody } | { ok: false; errors: PlanFormErrors } {
  const errors: PlanFormErrors = {};
  const whole = (key: WholeField): number => {
    const text = form[key].trim();
    // A sign is let through: billing's answer names the range ("from 2 to 100000").
    if (!/^-?\d{1,12}$/.test(text)) {
      errors[key] = 'must be a whole number';
      return 0;
    }
    return Number(text);
  };
  const numbers = Object.fromEntries(WHOLE.map((key) => [key, whole(key)])) as Record<WholeField, number>;
  const price = form.price_monthly_cents.trim();
  const match = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(price);
  if (match === null) errors.price_monthly_cents = 'must be an amount such as 14.99';
  const cents = match === null ? 0 : Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      ...numbers,
      name: form.name,
      recording_allowed: form.recording_allowed,
      price_monthly_cents: cents,
      currency: form.currency.trim(),
      active: form.active,
    },
  };
}

/** Billing's per-field messages by input; the ones about no input of the form under `''`. */
export function planErrorsOf(fields: readonly FieldError[]): PlanFormErrors & { ''?: string } {
  const known = new Set<string>(Object.keys(planFormOf()));
  const out: PlanFormErrors & { ''?: string } = {};
  for (const f of fields) {
    const key = known.has(f.field) ? (f.field as keyof PlanForm) : '';
    const text = key === '' ? `${f.field} ${f.message}` : f.message;
    out[key] = out[key] === undefined ? text : `${out[key]}; ${text}`;
  }
  return out;
}
