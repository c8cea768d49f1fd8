// What the meeting page says when the meeting will end at its plan's length cap (the free plan's 40
// minutes): when, how long is left, and why; and what the page after it says once it ended there.
import type { TimeLimitWarning } from '@origo/proto/signal';
import { formatMeetingLength } from './planLength.js';

/**
 * How a cap is raised, in the words of billing's refusals (platform/billing/src/quota.ts): only the
 * installation's operator moves an organization to another plan.
 */
export const LARGER_PLAN =
  'For longer meetings, the organization needs a larger plan, which the operator of this Origo ' +
  'installation sets in Admin, Plan and usage.';

/** The banner text at `nowMs`; `clock` formats the end time as the reader's local time of day. */
export function timeLimitText(
  warning: TimeLimitWarning,
  nowMs: number,
  clock: (ms: number) => string = (ms) =>
    new Date(ms).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }),
): string {
  const left = Math.max(0, Math.ceil((warning.endsAtMs - nowMs) / 60_000));
  const when = left <= 0 ? 'now' : left === 1 ? 'within a minute' : `in ${left} minutes`;
  const plan = warning.planName === '' ? 'this plan' : `the ${warning.planName} plan`;
  return (
    `This meeting ends ${when} (at ${clock(warning.endsAtMs)}): ${plan} allows meetings of ` +
    `${formatMeetingLength(warning.limitMinutes, 'long')}. Start a new meeting to go on. ${LARGER_PLAN}`
  );
}

/** The query parameters that carry the cap to the page after the meeting (none without a warning). */
export function timeLimitEndedParams(warning: TimeLimitWarning | null): Record<string, string> {
  if (warning === null || warning.limitMinutes <= 0) return {};
  return {
    limit: String(warning.limitMinutes),
    ...(warning.planName === '' ? {} : { plan: warning.planName }),
  };
}

/**
 * The page after a meeting that ended at its plan's cap. `limit` and `plan` come from the address (see
 * timeLimitEndedParams), so anything but a whole number of minutes and a short name is left out.
 */
export function timeLimitEndedText(
  limit: string | undefined,
  plan: string | undefined,
): { title: string; detail: string } {
  const n = limit !== undefined && /^[1-9]\d{0,5}$/.test(limit) ? Number(limit) : undefined;
  const name = plan !== undefined && plan.trim() !== '' && plan.length <= 80 ? plan.trim() : undefined;
  const allows =
    n === undefined
      ? "The plan of the host's organization limits how long a meeting can last"
      : `The ${name === undefined ? '' : `${name} `}plan of the host's organization allows meetings of ` +
        `up to ${formatMeetingLength(n, 'long')}`;
  return {
    title: "The meeting ended at its plan's time limit",
    detail: `${allows}, so the meeting ended for everyone. To go on, start a new meeting. ${LARGER_PLAN}`,
  };
}
