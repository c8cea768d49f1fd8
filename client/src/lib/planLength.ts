// A plan's meeting length cap (billing's max_meeting_minutes) as people read durations: whole hours in
// hours, the rest in minutes, so the Pro plan's 1800 reads "30 h", not "1800 min".

/**
 * `short`: "40 min", "30 h", "1 h 30 min" (tables, the plan list); `long`: "40 minutes", "30 hours",
 * "1 hour 30 minutes" (sentences). Minutes are whole; 0 or less is "0 min" / "0 minutes".
 */
export function formatMeetingLength(minutes: number, style: 'short' | 'long' = 'short'): string {
  const total = Math.max(0, Math.round(minutes));
  const hours = Math.floor(total / 60);
  const rest = total % 60;
  const parts: string[] = [];
  if (style === 'short') {
    if (hours > 0) parts.push(`${hours} h`);
    if (rest > 0 || hours === 0) parts.push(`${rest} min`);
  } else {
    if (hours > 0) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
    if (rest > 0 || hours === 0) parts.push(`${rest} minute${rest === 1 ? '' : 's'}`);
  }
  return parts.join(' ');
}
