// Presence routes of platform/control (src/http/presence-routes.ts; snake_case on the wire).
import { qs } from './auth.js';
import { api } from './http.js';

export type PresenceState = 'online' | 'in_meeting' | 'away';

export interface MemberPresence {
  user_id: string;
  display_name: string;
  state: PresenceState;
  since: string;
  /** The meetings the member is in that this caller may read; others are not named. */
  meetings: Array<{ id: string; title: string }>;
}

export const presenceApi = {
  list: (orgId: string | undefined) =>
    api<{ items: MemberPresence[] }>('GET', `/api/presence${qs({ org_id: orgId })}`),
  heartbeat: (state: 'online' | 'away') =>
    api<{ state: string; next_heartbeat_ms: number }>('POST', '/api/presence/heartbeat', { state }),
};
