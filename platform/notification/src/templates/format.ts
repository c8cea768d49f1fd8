// Dates as the recipient reads them: in the meeting's time zone, with the zone's abbreviation, so a
// reader elsewhere sees which zone is meant.
import rrulePkg, { type RRule as RRuleClass } from 'rrule';

// rrule ships CommonJS with an ESM build that Node cannot load directly; take the class from the default.
const { RRule } = rrulePkg as unknown as { RRule: typeof RRuleClass };

const formatters = new Map<string, Intl.DateTimeFormat>();

export function formatWhen(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f.format(new Date(ms));
}

/** "every week on Monday for 6 times"; the rule text itself when rrule cannot describe it. */
export function describeRule(rrule: string): string {
  try {
    return RRule.fromString(rrule.replace(/^RRULE:/i, '')).toText();
  } catch {
    return rrule;
  }
}
