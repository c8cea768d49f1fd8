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

let renewal: Promise<unknown> | null = null;

/**
 * Marks a request that ends this browser's session and answers with a new cookie (a password change):
 * the session watch hears the old session end, and must wait for the new cookie before it asks who is
 * signed in, or it would find nobody and send the tab to the sign-in page.
 */
export function renewingSession<T>(request: Promise<T>): Promise<T> {
  const mine = request.finally(() => {
    if (renewal === mine) renewal = null;
  });
  renewal = mine;
  return request;
}

/** Settles once a session renewal under way (if any) has its answer. */
export async function sessionRenewed(): Promise<void> {
  await renewal?.catch(() => undefined);
}
