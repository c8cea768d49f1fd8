// Ended sessions, told to the services that accept auth's access tokens. An access token is a
// self-contained JWT valid for its lifetime (10 minutes by default); auth itself checks the session behind
// it on every request, other services cannot. Auth publishes each ended session on the bus, and a
// verifier keeps the ended ids until every token of that session has expired.
import { z } from 'zod';
import type { Bus, BusLogger, Unsubscribe } from '@origo/kit/bus';

/**
 * Bus channel: `{ sids: string[], until: epoch ms, user_id?, reason? }`, published by auth once sessions
 * have ended; `user_id` and `reason` when every session of that account ended at once.
 */
export const SESSION_ENDED_CHANNEL = 'auth.session_ended';

/**
 * Why every sign-in of an account was ended by an administrator: the account's people are taken out of
 * their meetings too (signaling closes their sockets), not only refused at their next request.
 */
export const ADMIN_SIGN_OUT_REASONS: ReadonlySet<string> = new Set(['forced_sign_out', 'account_disabled']);

// Not strict: a consumer of an older version reads the fields it knows.
const sessionEndedMessage = z.object({
  sids: z.array(z.string().min(1).max(200)).min(1).max(10_000),
  until: z.number().int().positive(),
  user_id: z.string().min(1).max(200).optional(),
  reason: z.string().min(1).max(64).optional(),
});
export type SessionEndedMessage = z.infer<typeof sessionEndedMessage>;

export async function publishSessionsEnded(
  bus: Bus,
  sids: readonly string[],
  until: Date,
  all?: { userId: string; reason: string },
): Promise<void> {
  if (sids.length === 0) return;
  const message: SessionEndedMessage = {
    sids: [...sids],
    until: until.getTime(),
    ...(all === undefined ? {} : { user_id: all.userId, reason: all.reason }),
  };
  await bus.publish(SESSION_ENDED_CHANNEL, message);
}

/** Calls `handler` with every well-formed session-ended announcement; malformed ones are logged and dropped. */
export async function onSessionsEnded(
  bus: Bus,
  handler: (message: SessionEndedMessage) => void,
  logger?: BusLogger,
): Promise<Unsubscribe> {
  return bus.subscribe(SESSION_ENDED_CHANNEL, (raw) => {
    const parsed = sessionEndedMessage.safeParse(raw);
    if (!parsed.success) {
      logger?.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring a malformed session event');
      return;
    }
    handler(parsed.data);
  });
}

export interface SessionRevocations {
  /** True while tokens of this ended session may still be unexpired. */
  isRevoked(sessionId: string): boolean;
  /** How many ended sessions are remembered (for tests and metrics). */
  size(): number;
  close(): Promise<void>;
}

/**
 * Subscribes to ended sessions. Entries are dropped once `until` (the latest expiry of any token of the
 * session) has passed, so the set stays as small as the number of sessions ended in one token lifetime.
 */
export async function createSessionRevocations(
  bus: Bus,
  options: { logger?: BusLogger; now?: () => number } = {},
): Promise<SessionRevocations> {
  const now = options.now ?? Date.now;
  const ended = new Map<string, number>();
  let nextPrune = 0;
  const prune = () => {
    const at = now();
    if (at < nextPrune) return;
    nextPrune = at + 10_000;
    for (const [sid, until] of ended) if (until <= at) ended.delete(sid);
  };
  const unsubscribe: Unsubscribe = await onSessionsEnded(
    bus,
    (message) => {
      for (const sid of message.sids) ended.set(sid, Math.max(ended.get(sid) ?? 0, message.until));
      prune();
    },
    options.logger,
  );
  return {
    isRevoked(sessionId) {
      prune();
      const until = ended.get(sessionId);
      return until !== undefined && until > now();
    },
    size: () => ended.size,
    close: unsubscribe,
  };
}
