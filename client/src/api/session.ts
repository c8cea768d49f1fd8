// What a page asks about its own sign-in (platform/auth src/routes/session-routes.ts).
import type { Me } from './auth.js';
import { api } from './http.js';

export interface SessionEnd {
  ended: boolean;
  /** Why every session of the account ended (`forced_sign_out`, `account_disabled`, ...), or null. */
  reason: string | null;
}

export const sessionApi = {
  /** Who is signed in here; null for a visitor (answered 200, so no failed request shows in the console). */
  current: () => api<{ me: Me | null }>('GET', '/api/auth/session').then((r) => r.me),
  /** Held by auth until this session ends or about 25 s pass; then ask again. */
  wait: (signal: AbortSignal) => api<SessionEnd>('GET', '/api/auth/session/wait', undefined, {}, signal),
};
