// What a page asks about its own sign-in: who is signed in here (answered for visitors too), and a held
// request that answers once the session ends, so a page an administrator signed out leaves at once.
import type { FastifyInstance } from 'fastify';
import { AppError, parseOrThrow } from '@origo/kit';
import type { Accounts } from '../accounts.js';
import { SESSION_COOKIE, readCookie } from '../cookies.js';
import { hashToken, isTokenShaped } from '../crypto.js';
import { principalIfAny, publicRoute } from '../rbac.js';
import type { SessionManager } from '../sessions.js';
import type { SessionWatch } from '../session-watch.js';
import * as v from './validation.js';

export interface SessionRouteDeps {
  accounts: Accounts;
  sessions: SessionManager;
  watch: SessionWatch;
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const { accounts, sessions, watch } = deps;

  // GET /api/auth/me answers 401 to a visitor, which browsers print as an error in the console; a page
  // that only wants to know whether someone is signed in (a guest's join page) asks here instead.
  app.get('/api/auth/session', { ...publicRoute() }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const principal = await principalIfAny(request);
    return { me: principal === null ? null : await accounts.me(principal) };
  });

  // Held up to wait_seconds; then `ended: false` and the page asks again at once. `reason` says why every
  // session of the account ended (`forced_sign_out`, `account_disabled`, ...), null when one session ended.
  // A request without a live session is answered `ended: true` at once (with the reason when this replica
  // heard it lately), not 401: the page's wait may reach auth just after an administrator's sign-out.
  app.get('/api/auth/session/wait', { ...publicRoute() }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const query = parseOrThrow(v.sessionWaitQuery, request.query);
    const principal = await principalIfAny(request);
    if (principal === null) {
      const token = readCookie(request.headers.cookie, SESSION_COOKIE);
      const sid = token !== undefined && isTokenShaped(token) ? hashToken(token) : undefined;
      return { ended: true, reason: (sid === undefined ? null : watch.recentEnd(sid)) ?? null };
    }
    if (principal.via !== 'session')
      throw AppError.forbidden(
        'Only a signed-in page waits on its session; access tokens expire on their own',
      );
    const pending = watch.wait(principal.sessionId, query.wait_seconds * 1000);
    reply.raw.on('close', pending.cancel);
    // Armed before this second look, so a session that ended after the cookie was checked still answers.
    if ((await sessions.validateById(principal.sessionId, { slide: false })) === null) {
      pending.cancel();
      return { ended: true, reason: watch.recentEnd(principal.sessionId) ?? null };
    }
    return pending.promise;
  });
}
