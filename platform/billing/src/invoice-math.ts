// The arithmetic of an invoice, as pure functions over integers. Money is in the smallest unit of the
// plan's currency (cents); unit prices are in millionths of that unit (microcents), so a participant-minute
// at 0.4 cents is 400000. Every product and quotient is computed in BigInt, never in floating point.
//
// Rounding rule (the one place it is decided):
// - Quantities: a month's exact milliseconds of each meter are rounded UP to whole minutes once for the
//   month (never per day), so the customer pays at most one started minute per meter; storage GB-days are
//   rounded UP to whole GB-days once for the month the same way.
// - Each line's amount is billable quantity times unit price, rounded HALF UP to the smallest currency unit.
// - The subtotal is the sum of the rounded lines (the printed lines add up to it).
// - Tax is computed once, on the subtotal, at the rate in parts per million, rounded HALF UP.
// - The total is subtotal plus tax.
import type { PlanRow } from './db/schema.js';

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MICRO = 1_000_000n;

/** What an organization used in one month, summed from its usage per day. */
export interface UsageTotals {
  participantMs: number;
  meetingMs: number;
  /** Present once recordings are metered; the invoice then has a recording-minutes line. */
  recordingMs?: number | undefined;
  /** Present once storage is metered; the invoice then has a storage line (GB-days, 1 GB = 10^9 bytes). */
  storageGbDays?: number | undefined;
}

export type InvoiceLineKind =
  'plan' | 'participant_minutes' | 'meeting_minutes' | 'recording_minutes' | 'storage_gb_days';

export interface InvoiceLine {
  kind: InvoiceLineKind;
  description: string;
  unit: string;
  quantity: number;
  included: number;
  billable: number;
  unitPriceMicrocents: number;
  amountCents: number;
}

export interface InvoiceTotals {
  lines: InvoiceLine[];
  subtotalCents: number;
  taxRatePpm: number;
  taxCents: number;
  totalCents: number;
}

/** A calendar month in UTC: `YYYY-MM`, its first instant and the first instant of the next month. */
export interface Period {
  period: string;
  start: Date;
  end: Date;
  days: number;
  /** First and last day, `YYYY-MM-DD`, for usage queries. */
  firstDay: string;
  lastDay: string;
}

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The month `YYYY-MM` (UTC); null when the text is not one. */
export function parsePeriod(text: string): Period | null {
  const match = PERIOD.exec(text);
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  // Date.UTC reads years 0 to 99 as 1900 to 1999; no invoice period is that old.
  if (year < 1970) return null;
  const start = Date.UTC(year, month - 1, 1);
  const end = Date.UTC(year, month, 1);
  return {
    period: text,
    start: new Date(start),
    end: new Date(end),
    days: (end - start) / DAY_MS,
    firstDay: new Date(start).toISOString().slice(0, 10),
    lastDay: new Date(end - DAY_MS).toISOString().slice(0, 10),
  };
}

/** The UTC month an instant falls in. */
export function periodOf(at: Date): Period {
  return parsePeriod(at.toISOString().slice(0, 7)) as Period;
}

/** The month before `period`. */
export function previousPeriod(period: Period): Period {
  return periodOf(new Date(period.start.getTime() - 1));
}

/** `a * b / divisor`, rounded half up, for non-negative integers. */
function mulDivHalfUp(a: bigint, b: bigint, divisor: bigint): bigint {
  return (a * b * 2n + divisor) / (divisor * 2n);
}

function toSafeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} is too large to bill`);
  return Number(value);
}

/**
 * A tax rate in percent as configured (`19`, `8.875`, `0`): at most 4 decimals, so it is an exact number of
 * parts per million of the amount. Null when the text is not such a rate between 0 and 100.
 */
export function parseTaxPercent(text: string): number | null {
  const match = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (match === null) return null;
  const ppm = Number(match[1]) * 10_000 + Number((match[2] ?? '').padEnd(4, '0'));
  return ppm <= 1_000_000 ? ppm : null;
}

/** Parts per million as a percent for people: 88750 -> `8.875`. */
export function formatTaxPercent(ppm: number): string {
  const whole = Math.floor(ppm / 10_000);
  const fraction = String(ppm % 10_000)
    .padStart(4, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

/**
 * Whole GB-days of a month's storage, rounded up. Storage is metered as a fraction of GB-days; it is first
 * taken to the millionth (a kilobyte-day), so sums of fractions that are whole in fact do not round up.
 */
export function storageQuantity(gbDays: number): number {
  const micro = Math.round(gbDays * 1_000_000);
  return Math.max(0, Math.floor((micro + 999_999) / 1_000_000));
}

/** Whole minutes of a month's milliseconds, rounded up. */
export function minutesOf(ms: number): number {
  return Math.ceil(ms / MINUTE_MS);
}

function usageLine(
  kind: InvoiceLineKind,
  description: string,
  unit: string,
  quantity: number,
  included: number,
  unitPriceMicrocents: number,
): InvoiceLine {
  const billable = Math.max(0, quantity - included);
  const amount = mulDivHalfUp(BigInt(billable), BigInt(unitPriceMicrocents), MICRO);
  return {
    kind,
    description,
    unit,
    quantity,
    included,
    billable,
    unitPriceMicrocents,
    amountCents: toSafeNumber(amount, description),
  };
}

type PricedPlan = Pick<
  PlanRow,
  | 'name'
  | 'priceMonthlyCents'
  | 'recordingHours'
  | 'storageGb'
  | 'overageParticipantMinuteMicrocents'
  | 'overageMeetingMinuteMicrocents'
  | 'overageRecordingMinuteMicrocents'
  | 'overageStorageGbDayMicrocents'
>;

/**
 * The lines and totals of one organization's month: the plan's monthly price (the plan in effect at the
 * end of the month, for the whole month: no proration), then one line per meter. Recording and storage
 * lines appear when the usage carries them; what the plan includes (recording hours a month, storage GB
 * every day of the month) is subtracted before the unit price applies.
 */
export function computeInvoice(
  plan: PricedPlan,
  usage: UsageTotals,
  period: Pick<Period, 'days'>,
  taxRatePpm: number,
): InvoiceTotals {
  const lines: InvoiceLine[] = [
    {
      kind: 'plan',
      description: `${plan.name} plan, monthly`,
      unit: 'month',
      quantity: 1,
      included: 0,
      billable: 1,
      unitPriceMicrocents: toSafeNumber(BigInt(plan.priceMonthlyCents) * MICRO, 'plan price'),
      amountCents: plan.priceMonthlyCents,
    },
    usageLine(
      'participant_minutes',
      'Participant-minutes',
      'minute',
      minutesOf(usage.participantMs),
      0,
      plan.overageParticipantMinuteMicrocents,
    ),
    usageLine(
      'meeting_minutes',
      'Meeting-minutes',
      'minute',
      minutesOf(usage.meetingMs),
      0,
      plan.overageMeetingMinuteMicrocents,
    ),
  ];
  if (usage.recordingMs !== undefined) {
    lines.push(
      usageLine(
        'recording_minutes',
        'Recording-minutes',
        'minute',
        minutesOf(usage.recordingMs),
        plan.recordingHours * 60,
        plan.overageRecordingMinuteMicrocents,
      ),
    );
  }
  if (usage.storageGbDays !== undefined) {
    lines.push(
      usageLine(
        'storage_gb_days',
        'Recording storage',
        'GB-day',
        storageQuantity(usage.storageGbDays),
        plan.storageGb * period.days,
        plan.overageStorageGbDayMicrocents,
      ),
    );
  }
  const subtotal = lines.reduce((sum, line) => sum + BigInt(line.amountCents), 0n);
  const tax = mulDivHalfUp(subtotal, BigInt(taxRatePpm), MICRO);
  return {
    lines,
    subtotalCents: toSafeNumber(subtotal, 'subtotal'),
    taxRatePpm,
    taxCents: toSafeNumber(tax, 'tax'),
    totalCents: toSafeNumber(subtotal + tax, 'total'),
  };
}

/** Digits after the decimal point of a currency (ISO 4217); 2 unless listed. */
const EXPONENT: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  JOD: 3,
  KWD: 3,
  OMR: 3,
  TND: 3,
};

export function currencyExponent(currency: string): number {
  return EXPONENT[currency] ?? 2;
}

/** An amount in the smallest unit as text with its currency (`1,234.56 USD`), from integers only. */
export function formatMoney(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exponent === 0 ? '' : `.${digits.slice(digits.length - exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction} ${currency}`;
}

/** A line's unit for a count of it: "1 minute", "2 minutes". */
export function unitFor(quantity: number, unit: string): string {
  return quantity === 1 ? unit : `${unit}s`;
}

/** A unit price in microcents as text in the currency's major unit, with as many decimals as it needs. */
export function formatUnitPrice(microcents: number, currency: string): string {
  const exponent = currencyExponent(currency) + 6;
  const digits = String(microcents).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  let fraction = digits.slice(digits.length - exponent).replace(/0+$/, '');
  const minimum = currencyExponent(currency);
  if (fraction.length < minimum) fraction = fraction.padEnd(minimum, '0');
  return `${whole}${fraction === '' ? '' : `.${fraction}`} ${currency}`;
}
