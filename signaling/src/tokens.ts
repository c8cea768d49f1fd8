// Keeps each session's join token fresh: before it expires, control renews it (same claims, new lifetime)
// and the client gets it in a token_refresh message. A client that has to join again from scratch (its
// media server or this node died) then always holds a valid token, however long the meeting has run.
import type { NodeContext } from './context.js';
import { push } from './responses.js';
import type { Session } from './session.js';

/** Renew after this share of the token's lifetime has passed. */
const RENEW_AT = 0.6;
const RETRY_MS = 10_000;
const MIN_DELAY_MS = 1000;

export class TokenKeeper {
  constructor(private readonly ctx: NodeContext) {}

  /** Schedules the renewal of the session's current token. */
  watch(session: Session): void {
    this.stop(session);
    if (session.closed) return;
    const issued = session.tokenIssuedAtMs;
    const lifetime = session.tokenExpiresAtMs - issued;
    const due = lifetime > 0 ? issued + lifetime * RENEW_AT : Date.now();
    this.schedule(session, Math.max(MIN_DELAY_MS, due - Date.now()));
  }

  stop(session: Session): void {
    if (session.refreshTimer) clearTimeout(session.refreshTimer);
    session.refreshTimer = undefined;
  }

  private schedule(session: Session, delayMs: number): void {
    session.refreshTimer = setTimeout(() => {
      session.refreshTimer = undefined;
      this.renew(session).catch((err: unknown) => {
        if (session.closed) return;
        this.ctx.logger.warn({ err, participant_sid: session.sid }, 'join token renewal failed; retrying');
        this.schedule(session, RETRY_MS);
      });
    }, delayMs);
    session.refreshTimer.unref();
  }

  private async renew(session: Session): Promise<void> {
    if (session.closed) return;
    const renewed = await this.ctx.reporter.refreshJoinToken(session.token);
    if (renewed === null || session.closed) return;
    // Checked like any join token, so a client is never handed one signaling would refuse.
    const claims = await this.ctx.verifier.verify(renewed.token);
    if (claims.identity !== session.claims.identity || claims.room !== session.claims.room)
      throw new Error('control renewed the token for another identity or room');
    session.renewToken(renewed.token, claims.issuedAtMs, claims.expiresAt * 1000);
    session.send(push('tokenRefresh', { token: renewed.token }));
    this.watch(session);
  }
}
