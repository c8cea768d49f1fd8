// The signed-in user (or null), loaded once from /api/auth/session and refreshed after sign-in/out.
import { createContext, createResource, createSignal, useContext, type JSX, type Resource } from 'solid-js';
import type { Me } from './api/auth.js';
import { ApiError } from './api/http.js';
import { sessionApi } from './api/session.js';

interface SessionContext {
  me: Resource<Me | null>;
  refresh: () => Promise<Me | null | undefined>;
  isAdmin: () => boolean;
  /**
   * The organization the dashboard shows and creates meetings in: the one picked last in this browser
   * while it is still a membership, else the first membership.
   */
  orgId: () => string | undefined;
  /** Picks the organization `orgId` names (someone in several organizations switches between them). */
  setOrgId: (orgId: string) => void;
}

/** Where the picked organization is kept, so a reload shows the same one. */
const ORG_KEY = 'origo.org';

function storedOrg(): string | null {
  try {
    return localStorage.getItem(ORG_KEY);
  } catch {
    return null;
  }
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
  const [picked, setPicked] = createSignal(storedOrg());
  const value: SessionContext = {
    me,
    refresh: async () => refetch(),
    isAdmin: () => {
      const m = me();
      return m != null && (m.user.superadmin || m.memberships.some((x) => x.role === 'admin'));
    },
    orgId: () => {
      const memberships = me()?.memberships ?? [];
      const p = picked();
      return memberships.find((m) => m.orgId === p)?.orgId ?? memberships[0]?.orgId;
    },
    setOrgId: (orgId) => {
      setPicked(orgId);
      try {
        localStorage.setItem(ORG_KEY, orgId);
      } catch {
        // Storage refused (private mode): the pick holds until the page is left.
      }
    },
  };
  return <Ctx.Provider value={value}>{props.children}</Ctx.Provider>;
}

export function useSession(): SessionContext {
  const s = useContext(Ctx);
  if (s === undefined) throw new Error('useSession outside SessionProvider');
  return s;
}
