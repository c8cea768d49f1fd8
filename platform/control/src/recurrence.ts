// Recurrence (RFC 5545 RRULE) expanded in an IANA time zone.
//
// rrule's own TZID handling mixes "floating" and real instants; here it only ever sees floating wall
// times (UTC fields standing for local fields), and the conversion to real instants is done by
// `zonedToInstant`, which follows RFC 5545 section 3.3.5 at DST changes: a wall time in the gap is
// moved forward by the gap, an ambiguous one takes its first (earlier) instant.
import rrulePkg, { type RRule as RRuleClass } from 'rrule';
import { AppError } from '@origo/kit';

// rrule ships CommonJS with an ESM build that Node cannot load directly; take the classes from the
// default export.
const { RRule } = rrulePkg as unknown as { RRule: typeof RRuleClass };

const ALLOWED_FREQUENCIES = new Set([RRule.YEARLY, RRule.MONTHLY, RRule.WEEKLY, RRule.DAILY]);
const MAX_RULE_LENGTH = 500;

/** True when `zone` is an IANA zone name the runtime knows (or UTC). */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock fields of `instant` in `zone`, as a floating Date (UTC fields hold local values). */
export function instantToFloating(instant: Date, zone: string): Date {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return new Date(
    Date.UTC(
      parts['year'] ?? 1970,
      (parts['month'] ?? 1) - 1,
      parts['day'] ?? 1,
      parts['hour'] ?? 0,
      parts['minute'] ?? 0,
      parts['second'] ?? 0,
      instant.getUTCMilliseconds(),
    ),
  );
}

/** Offset of `zone` from UTC at `instant`, in ms (positive east of Greenwich). */
function offsetAt(instant: number, zone: string): number {
  return instantToFloating(new Date(instant), zone).getTime() - instant;
}

/** The real instant of a floating wall time in `zone` (RFC 5545 3.3.5 rules at DST changes). */
export function zonedToInstant(floating: Date, zone: string): Date {
  const wall = floating.getTime();
  // The offsets in force a day either side bracket any single transition near `wall`.
  const before = offsetAt(wall - 86_400_000, zone);
  const after = offsetAt(wall + 86_400_000, zone);
  const candidates = [wall - before, wall - after]
    .filter((t) => instantToFloating(new Date(t), zone).getTime() === wall)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return new Date(first);
  // In the gap: keep the offset from before the transition, which moves the time forward by the gap.
  return new Date(wall - before);
}

export interface ParsedRule {
  /** The normalised rule text (no DTSTART). */
  text: string;
}

/**
 * Validates an RRULE for a meeting: the rule part only (the meeting's `starts_at` and `time_zone` give
 * DTSTART), at most daily, and with at least one occurrence. Throws INVALID_ARGUMENT naming `field`.
 */
export function parseRule(rule: string, field = 'recurrence.rrule'): ParsedRule {
  const text = rule.trim().replace(/^RRULE:/i, '');
  const invalid = (message: string) => AppError.invalid('Invalid recurrence rule', [{ field, message }]);
  if (text.length === 0 || text.length > MAX_RULE_LENGTH)
    throw invalid(`must be 1 to ${MAX_RULE_LENGTH} characters`);
  if (/DTSTART|TZID|\n/i.test(text))
    throw invalid('must hold only the RRULE part; starts_at and time_zone set the start');
  let options: ReturnType<typeof RRule.parseString>;
  try {
    options = RRule.parseString(text);
  } catch (err) {
    throw invalid(`is not a valid RRULE: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (options.freq === undefined) throw invalid('needs FREQ');
  if (!ALLOWED_FREQUENCIES.has(options.freq)) throw invalid('FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY');
  if (options.count !== undefined && options.count !== null && (options.count < 1 || options.count > 1000)) {
    throw invalid('COUNT must be between 1 and 1000');
  }
  if (options.interval !== undefined && (options.interval < 1 || options.interval > 366)) {
    throw invalid('INTERVAL must be between 1 and 366');
  }
  return { text: new RRule(options).toString().replace(/^RRULE:/, '') };
}

export interface Occurrence {
  startsAt: Date;
  endsAt: Date;
}

export interface RecurrenceInput {
  startsAt: Date;
  durationMinutes: number;
  timeZone: string;
  rrule: string | null;
}

/**
 * Occurrences that have not ended by `after`, oldest first, at most `count`. A meeting without a rule
 * has one occurrence (`startsAt`).
 */
export function nextOccurrences(input: RecurrenceInput, after: Date, count: number): Occurrence[] {
  const durationMs = input.durationMinutes * 60_000;
  const make = (startsAt: Date): Occurrence => ({
    startsAt,
    endsAt: new Date(startsAt.getTime() + durationMs),
  });
  if (input.rrule === null) {
    const only = make(input.startsAt);
    return only.endsAt.getTime() > after.getTime() ? [only] : [];
  }
  const rule = new RRule({
    ...RRule.parseString(input.rrule),
    dtstart: instantToFloating(input.startsAt, input.timeZone),
    tzid: null,
  });
  // Search in floating time from a day early (zone offsets are under a day) and filter on real instants.
  const searchFrom = new Date(
    instantToFloating(new Date(after.getTime() - durationMs), input.timeZone).getTime() - 86_400_000,
  );
  const result: Occurrence[] = [];
  let cursor = searchFrom;
  let inclusive = true;
  // Bounded loop: each step yields the next floating occurrence or ends the rule.
  for (let guard = 0; guard < count + 64 && result.length < count; guard++) {
    const next = rule.after(cursor, inclusive);
    if (next === null) break;
    inclusive = false;
    cursor = next;
    const occurrence = make(zonedToInstant(next, input.timeZone));
    if (occurrence.endsAt.getTime() > after.getTime()) result.push(occurrence);
  }
  return result;
}

/** True when a rule has any occurrence that starts after `after`. */
export function hasOccurrenceAfter(input: RecurrenceInput, after: Date): boolean {
  return nextOccurrences(input, after, 2).some((o) => o.startsAt.getTime() > after.getTime());
}
