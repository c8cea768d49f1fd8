// The signed-in user (or null), loaded once from /api/auth/session and refreshed after sign-in/out.
import { createContext, createResource, useContext, type JSX, type Resource } from 'solid-js';
import type { Me } from './api/auth.js';
import { ApiError } from './api/http.js';
import { sessionApi } from './api/session.js';

interface SessionContext {
  me: Resource<Me | null>;
  refresh: () => Promise<Me | null | undefined>;
  isAdmin: () => boolean;
  /** The organization meetings are created in: the first membership. */
  orgId: () => string | undefined;
}

const Ctx = createContext<SessionContext>();

async function loadMe(): Promise<Me | null> {
  try {
    // Not /api/auth/me: its 401 for a visitor (a guest joining by link) shows in the console as an error.
    return await sessionApi.current();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

export function SessionProvider(props: { children: JSX.Element }): JSX.Element {
  const [me, { refetch }] = createResource(loadMe);
  const value: SessionContext = {
    me,
    refresh: async () => refetch(),
    isAdmin: () => {
      const m = me();
      return m != null && (m.user.superadmin || m.memberships.some((x) => x.role === 'admin'));
    },
    orgId: () => me()?.memberships[0]?.orgId,
  };
  return <Ctx.Provider value={value}>{props.children}</Ctx.Provider>;
}

export function useSession(): SessionContext {
  const s = useContext(Ctx);
  if (s === undefined) throw new Error('useSession outside SessionProvider');
  return s;
}
