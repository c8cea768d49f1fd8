// Wall-clock date and time in an IANA zone to an instant, and recurrence choices to RRULEs. Pure.

function offsetMinutes(instant: Date, zone: string): number {
  const parts: Record<string, number> = {};
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  for (const p of f.formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    parts['hour'] ?? 0,
    parts['minute'] ?? 0,
    parts['second'] ?? 0,
  );
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

/**
 * `2025-03-30` + `09:30` in `Europe/Berlin` -> the instant. Two passes settle the offset across a DST
 * change; a time inside a spring-forward gap lands after the gap.
 */
export function zonedToInstant(date: string, time: string, zone: string): Date {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})$/.exec(time);
  if (d === null || t === null) throw new RangeError('date must be YYYY-MM-DD and time HH:MM');
  const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
  let guess = wall - offsetMinutes(new Date(wall), zone) * 60_000;
  guess = wall - offsetMinutes(new Date(guess), zone) * 60_000;
  return new Date(guess);
}

export type Repeat = 'none' | 'daily' | 'weekdays' | 'weekly' | 'monthly';

const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

/** The RRULE for a repeat choice; weekly repeats on the weekday of the first date. */
export function rruleFor(repeat: Repeat, date: string, count: number): string | null {
  const n = Math.max(2, Math.min(100, Math.floor(count)));
  switch (repeat) {
    case 'none':
      return null;
    case 'daily':
      return `FREQ=DAILY;COUNT=${n}`;
    case 'weekdays':
      return `FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=${n}`;
    case 'weekly': {
      const day = new Date(`${date}T12:00:00Z`).getUTCDay();
      return `FREQ=WEEKLY;BYDAY=${DAYS[day] ?? 'MO'};COUNT=${n}`;
    }
    case 'monthly':
      return `FREQ=MONTHLY;COUNT=${n}`;
  }
}

/** Short human text of an RRULE this client writes. */
export function describeRrule(rrule: string | null | undefined): string {
  if (!rrule) return '';
  const freq = /FREQ=(\w+)/.exec(rrule)?.[1];
  const count = /COUNT=(\d+)/.exec(rrule)?.[1];
  const byday = /BYDAY=([\w,]+)/.exec(rrule)?.[1];
  let text =
    freq === 'DAILY'
      ? 'Every day'
      : freq === 'WEEKLY' && byday === 'MO,TU,WE,TH,FR'
        ? 'Every weekday'
        : freq === 'WEEKLY'
          ? 'Every week'
          : freq === 'MONTHLY'
            ? 'Every month'
            : 'Repeats';
  if (count) text += `, ${count} times`;
  return text;
}

/**
 * A date and time as the pages show every one of them ("Tue, Jul 15, 9:30 AM CEST" in US English), with
 * its zone named: in `zone` if given, else the browser's, the reader's own. A date in another year than
 * `now`'s there names its year ("Wed, Jan 1, 2020, 1:00 PM UTC"), so it cannot read as this year's. `null`
 * is a meeting without a start, which starts now.
 */
export function formatWhen(
  when: string | Date | null,
  zone?: string,
  locale?: string,
  now: Date = new Date(),
): string {
  if (when === null) return 'Now';
  const d = typeof when === 'string' ? new Date(when) : when;
  const inZone = zone === undefined ? {} : { timeZone: zone };
  const year = new Intl.DateTimeFormat('en-US', { year: 'numeric', ...inZone });
  return new Intl.DateTimeFormat(locale, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    ...(year.format(d) === year.format(now) ? {} : { year: 'numeric' }),
    hour: 'numeric',
    minute: '2-digit',
    ...inZone,
    timeZoneName: 'short',
  }).format(d);
}

/**
 * Zones whose names changed (Kolkata, Kyiv, ...) under the names people know now. Browsers and Node
 * still list and report the old ones (ICU keeps them as canonical); both names work everywhere.
 */
const RENAMED_ZONES: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'America/Godthab': 'America/Nuuk',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** A zone under its current name: `Asia/Calcutta` -> `Asia/Kolkata`; others as they are. */
export function currentZoneName(zone: string): string {
  return RENAMED_ZONES[zone] ?? zone;
}

/** The browser's own zone, under its current name; UTC if the browser names none. */
export function browserZone(): string {
  return currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
}

/** Every zone the browser knows, under current names, sorted, UTC included. */
export function timeZoneChoices(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const list = (intl.supportedValuesOf?.('timeZone') ?? []).map(currentZoneName);
  if (!list.includes('UTC')) list.push('UTC');
  return [...new Set(list)].sort();
}

/** `America/New_York` -> `New York`: the place an IANA zone is named after, as a person reads it. */
function placeOf(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}

/**
 * When a meeting starts, for the person reading it: in their own zone (`viewerZone`, the browser's by
 * default), and, where the meeting was scheduled in a zone whose clock differs at that moment, also the
 * time there, e.g. `Fri, Dec 4, 3:00 PM GMT+1 (9:00 AM in New York)`; the weekday is added when the day
 * there is another.
 */
export function formatMeetingTime(
  when: string | null,
  meetingZone: string | undefined,
  viewerZone?: string,
  locale?: string,
  now: Date = new Date(),
): string {
  const here = formatWhen(when, viewerZone, locale, now);
  if (when === null || meetingZone === undefined) return here;
  const d = new Date(when);
  const viewer = viewerZone ?? browserZone();
  if (offsetMinutes(d, meetingZone) === offsetMinutes(d, viewer)) return here;
  const day = (zone: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short' }).format(d);
  const clock = new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: meetingZone }).format(d);
  const weekday = new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: meetingZone }).format(d);
  const there = day(meetingZone) === day(viewer) ? clock : `${weekday} ${clock}`;
  return `${here} (${there} in ${placeOf(currentZoneName(meetingZone))})`;
}
