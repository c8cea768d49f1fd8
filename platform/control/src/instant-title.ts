// The title an instant meeting gets when its creator gives none: the moment it was created, in the
// creator's language and time zone, so a list of instant meetings can be told apart.

/** How long after its creation an instant meeting nobody started still counts as upcoming. */
export const INSTANT_UPCOMING_MS = 60 * 60 * 1000;

const FALLBACK_LOCALE = 'en-GB';

/** `locale` when Intl knows it, else the fallback (a tag the runtime has no data for formats as English). */
function usableLocale(locale: string | undefined): string {
  if (locale === undefined || locale === '') return FALLBACK_LOCALE;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale])[0] ?? FALLBACK_LOCALE;
  } catch {
    return FALLBACK_LOCALE;
  }
}

/** E.g. "Instant meeting, 2 Dec, 14:05" (en-GB) or "Instant meeting, Dec 2, 2:05 PM" (en-US). */
export function instantTitle(at: Date, locale: string | undefined, timeZone: string): string {
  const tag = usableLocale(locale);
  const format = (zone: string) =>
    [
      new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'short', timeZone: zone }).format(at),
      // The locale's own short time: 14:05 or 07:31 in Britain, 2:05 PM in the US.
      new Intl.DateTimeFormat(tag, { timeStyle: 'short', timeZone: zone }).format(at),
    ].join(', ');
  let when: string;
  try {
    when = format(timeZone);
  } catch {
    when = format('UTC');
  }
  return `Instant meeting, ${when}`;
}

/** The first language of an Accept-Language header (`de-CH,de;q=0.9` gives `de-CH`), if any. */
export function firstLanguage(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(',')[0]?.split(';')[0]?.trim();
  return first === undefined || first === '' || first === '*' ? undefined : first;
}
