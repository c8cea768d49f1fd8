/**
 * Delay before retry number `attempt` (1 for the first retry): exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so many failed jobs do not retry in lockstep
 * against a peer that has just come back.
 */
export function backoffDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt must be an integer >= 1');
  if (!(options.baseMs > 0) || !(options.maxMs >= options.baseMs))
    throw new RangeError('baseMs must be > 0 and maxMs >= baseMs');
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt - 1, 30));
  const random = options.random ?? Math.random;
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
