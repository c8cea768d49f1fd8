// Pure helpers of the admin dashboard: bitrates from two samples of the SFU's byte counters, durations,
// daily usage series for the charts, and the audit filter's query. No DOM, so they are unit-tested in node.

/** One reading of a byte counter that only grows while the router lives (`sid` names that router). */
export interface ByteSample {
  sid: string;
  bytes: number;
  /** ms since the epoch */
  at: number;
}

/**
 * Bits per second between two readings of the same counter, or null when there is no earlier reading, the
 * router restarted (another sid: the counter began again) or the readings are not in order.
 */
export function bitrate(previous: ByteSample | undefined, next: ByteSample): number | null {
  if (previous === undefined || previous.sid !== next.sid) return null;
  const seconds = (next.at - previous.at) / 1000;
  const bytes = next.bytes - previous.bytes;
  if (!(seconds > 0) || bytes < 0) return null;
  return (bytes * 8) / seconds;
}

/** `1.25 Mbit/s`, `350 kbit/s`; a dash while the rate is not known yet. */
export function formatBitrate(bps: number | null): string {
  if (bps === null) return '-';
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(2)} Mbit/s`;
  return `${Math.round(bps / 1000)} kbit/s`;
}

/** `42:07` under an hour, `1:02:03` from an hour on. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * Remembers the last byte counters of each room and participant between polls, so each poll can show the
 * bitrate since the one before. Keys not seen in a poll are forgotten (the room ended, the person left).
 */
export class BitrateTracker {
  private last = new Map<string, ByteSample>();

  /** Feeds one poll's readings (`key` -> sample) and returns each key's bitrate since the previous poll. */
  update(readings: ReadonlyMap<string, ByteSample>): Map<string, number | null> {
    const rates = new Map<string, number | null>();
    for (const [key, sample] of readings) rates.set(key, bitrate(this.last.get(key), sample));
    this.last = new Map(readings);
    return rates;
  }
}

/** A day of usage as billing reports it; the recording fields appear once billing meters recordings. */
export interface UsageDay {
  day: string;
  [metric: string]: string | number | null | undefined;
}

export interface UsageSeries {
  /** Days from `from` to `to` inclusive (UTC midnight, seconds since the epoch, as uPlot reads x values). */
  days: number[];
  /** One value per day for each metric, summed over organizations, 0 for a day without usage. */
  values: Record<string, number[]>;
}

const DAY_MS = 86_400_000;

/** Every day of the range with each metric summed (several organizations report the same day). */
export function usageSeries(
  items: readonly UsageDay[],
  from: string,
  to: string,
  metrics: readonly string[],
): UsageSeries {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  const days: number[] = [];
  const index = new Map<string, number>();
  if (Number.isFinite(start) && Number.isFinite(end)) {
    for (let t = start; t <= end; t += DAY_MS) {
      index.set(new Date(t).toISOString().slice(0, 10), days.length);
      days.push(t / 1000);
    }
  }
  const values: Record<string, number[]> = {};
  for (const metric of metrics) values[metric] = days.map(() => 0);
  for (const item of items) {
    const i = index.get(item.day);
    if (i === undefined) continue;
    for (const metric of metrics) {
      const v = item[metric];
      const series = values[metric];
      if (typeof v === 'number' && Number.isFinite(v) && series !== undefined)
        series[i] = (series[i] ?? 0) + v;
    }
  }
  return { days, values };
}

/** The metrics among `known` that at least one item carries as a number (what billing reports now). */
export function presentMetrics(items: readonly UsageDay[], known: readonly string[]): string[] {
  return known.filter((metric) => items.some((item) => typeof item[metric] === 'number'));
}

export interface AuditFilterInput {
  actor: string;
  action: string;
  target: string;
  /** `datetime-local` values (local wall time, `2026-05-01T09:30`), empty when unset. */
  from: string;
  to: string;
}

/**
 * The query parameters of an audit filter (empty fields left out, local times as UTC instants), or the
 * message to show when the range is empty or a time does not parse.
 */
export function auditParams(
  input: AuditFilterInput,
): { ok: true; params: Record<string, string> } | { ok: false; message: string } {
  const params: Record<string, string> = {};
  for (const key of ['actor', 'action', 'target'] as const) {
    const value = input[key].trim();
    if (value !== '') params[key] = value;
  }
  const instants: Partial<Record<'from' | 'to', number>> = {};
  for (const key of ['from', 'to'] as const) {
    const raw = input[key].trim();
    if (raw === '') continue;
    const at = new Date(raw).getTime();
    if (!Number.isFinite(at)) return { ok: false, message: `The ${key} time is not a date and time.` };
    instants[key] = at;
    params[key] = new Date(at).toISOString();
  }
  if (instants.from !== undefined && instants.to !== undefined && instants.to <= instants.from)
    return { ok: false, message: 'The end of the time range must be after its start.' };
  return { ok: true, params };
}

/**
 * The top of a usage chart's y axis for data up to `max`: 10 % headroom, rounded up to a whole number,
 * or below 1 to 1, 2 or 5 times a power of ten, so a day of 0.02 GB is a visible bar, not a line at the
 * bottom of a 0 to 1 scale. 1 when there is nothing to show.
 */
export function chartTop(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const padded = max * 1.1;
  if (padded >= 1) return Math.ceil(padded);
  const power = 10 ** Math.floor(Math.log10(padded));
  const step = padded / power;
  const nice = step <= 1 ? 1 : step <= 2 ? 2 : step <= 5 ? 5 : 10;
  return Number((nice * power).toPrecision(12));
}

/** Digits after the point of `value` to two significant digits (below 1), at most 20. */
function fractionDigits(value: number): number {
  return Math.min(20, Math.max(0, 1 - Math.floor(Math.log10(Math.abs(value)))));
}

/** `0.000300` -> `0.0003`, `2.50` -> `2.5`, `4.0` -> `4`. */
function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * A usage amount for a chart's caption: whole amounts as they are (minutes), amounts from 1 on to three
 * decimals at most, and smaller ones to two significant digits, so 0.000297 GB-days reads 0.0003, not 0.
 */
export function formatUsage(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value === 0 || Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 1) return trimZeros(value.toFixed(3));
  return trimZeros(value.toFixed(fractionDigits(value)));
}

/**
 * The labels of a usage chart's y axis at `splits` (its tick values, evenly spaced): every label with the
 * decimals the spacing needs and no more, so ticks 0.0001 apart read 0, 0.0001, 0.0002 and never the same
 * label twice; whole ticks (minutes) read as whole numbers.
 */
export function axisLabels(splits: readonly number[]): string[] {
  const finite = splits.filter((v) => Number.isFinite(v));
  const steps = finite.slice(1).map((v, i) => Math.abs(v - finite[i]!));
  const step = steps.length > 0 ? Math.min(...steps.filter((s) => s > 0), Infinity) : Infinity;
  const tolerance = Number.isFinite(step) ? step * 1e-6 : 1e-12;
  let digits = 0;
  while (digits < 20 && !finite.every((v) => Math.abs(Number(v.toFixed(digits)) - v) <= tolerance))
    digits += 1;
  return splits.map((v) => (Number.isFinite(v) ? trimZeros(v.toFixed(digits)) : ''));
}

/**
 * The tick spacings a usage chart's y axis may use for a series of whole amounts (minutes): 1, 2 and 5
 * times a power of ten, so its ticks are whole numbers. Undefined for fractional amounts (uPlot's own
 * spacings, down to the small fractions of a GB-day).
 */
export function axisIncrements(values: readonly number[]): number[] | undefined {
  if (!values.every((v) => Number.isInteger(v))) return undefined;
  const incrs: number[] = [];
  for (let power = 1; power <= 1e12; power *= 10) incrs.push(power, 2 * power, 5 * power);
  return incrs;
}
