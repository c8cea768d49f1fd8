// TURN shared-secret rotation. Vault holds three secrets: signaling signs with `current`, coturn accepts
// all three. A rotation shifts next -> current -> previous and draws a new next. A secret therefore sits
// in coturn's list a whole period before signaling signs with it (no race between the two rollouts), and
// credentials signed with the old current stay valid a whole period after.
import { randomBytes } from 'node:crypto';

export const ROTATION_PERIOD_DAYS = 30;

export interface TurnSecrets {
  previous: string;
  current: string;
  next: string;
  /** ISO time of the last rotation. */
  rotated_at: string;
}

export class RotationInputError extends Error {
  override readonly name = 'RotationInputError';
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** First-time state: three fresh secrets. */
export function initialSecrets(now: Date): TurnSecrets {
  return { previous: newSecret(), current: newSecret(), next: newSecret(), rotated_at: now.toISOString() };
}

/** Whether the stored secrets are due (or malformed, which a rotation repairs). */
export function rotationDue(
  stored: Partial<TurnSecrets>,
  now: Date,
  periodDays = ROTATION_PERIOD_DAYS,
): boolean {
  const at = stored.rotated_at ? Date.parse(stored.rotated_at) : Number.NaN;
  if (!Number.isFinite(at)) return true;
  return now.getTime() - at >= periodDays * 86_400_000;
}

export function rotate(stored: Partial<TurnSecrets>, now: Date): TurnSecrets {
  if (!stored.current || !stored.next)
    throw new RotationInputError('stored TURN secrets lack "current" or "next"; initialise them first');
  return { previous: stored.current, current: stored.next, next: newSecret(), rotated_at: now.toISOString() };
}
