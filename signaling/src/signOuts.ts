// Accounts an administrator signed out (auth's session-ended announcement with a reason in
// ADMIN_SIGN_OUT_REASONS: force sign-out, account disabled). Their sessions end at once with
// DISCONNECT_REASON_SIGNED_OUT, so a signed-out browser stops sending media now rather than when its join
// token expires, and join tokens issued before that moment are refused: a client must not come back with
// the token it still holds. Every node hears the announcement and ends its own sessions.
import { ADMIN_SIGN_OUT_REASONS, type SessionEndedMessage } from '@origo/auth/events';
import { DisconnectReason, LeaveAction } from '@origo/proto/signal';
import type { NodeContext } from './context.js';
import { push } from './responses.js';

export class SignOuts {
  constructor(private readonly ctx: NodeContext) {}

  async onSessionsEnded(message: SessionEndedMessage): Promise<void> {
    const identity = message.user_id;
    if (identity === undefined || message.reason === undefined || !ADMIN_SIGN_OUT_REASONS.has(message.reason))
      return;
    const { logger, store } = this.ctx;
    // Marked first, so a join that reads the mark after this point is refused; a store outage must not
    // keep the sessions open, so it is logged and the sessions end anyway.
    await store
      .markSignedOut(identity, Date.now())
      .catch((err: unknown) => logger.warn({ err, identity }, 'could not mark an account signed out'));
    const reason = DisconnectReason.DISCONNECT_REASON_SIGNED_OUT;
    let ended = 0;
    for (const session of [...this.ctx.sessionsById.values()]) {
      if (session.closed || session.claims.identity !== identity) continue;
      session.send(push('leave', { reason, action: LeaveAction.LEAVE_ACTION_DISCONNECT }));
      this.ctx.departures.close(session, reason);
      ended++;
    }
    if (ended > 0)
      logger.info({ identity, reason: message.reason, sessions: ended }, 'signed-out account left');
  }
}
