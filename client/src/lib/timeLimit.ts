// What the meeting page says when the meeting will end at its plan's length cap (the free plan's 40
// minutes): when, how long is left, and why.
import type { TimeLimitWarning } from '@origo/proto/signal';

/** The banner text at `nowMs`; `clock` formats the end time as the reader's local time of day. */
export function timeLimitText(
  warning: TimeLimitWarning,
  nowMs: number,
  clock: (ms: number) => string = (ms) =>
    new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
): string {
  const left = Math.max(0, Math.ceil((warning.endsAtMs - nowMs) / 60_000));
  const when = left <= 0 ? 'now' : left === 1 ? 'within a minute' : `in ${left} minutes`;
  const plan = warning.planName === '' ? 'this plan' : `the ${warning.planName} plan`;
  return (
    `This meeting ends ${when} (at ${clock(warning.endsAtMs)}): ${plan} allows meetings of ` +
    `${warning.limitMinutes} minutes. Start a new meeting to go on, or ask an admin about a larger plan.`
  );
}
