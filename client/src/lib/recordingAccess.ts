// Who may open a meeting's recordings, as control decides it (platform/control/src/meeting-access.ts):
// the meeting's host, an admin of its organization, or the installation's operator. The client asks
// first so nobody is offered a link that only leads to a refusal.
import type { Me } from '../api/auth.js';

export function mayOpenRecordings(
  me: Me | null | undefined,
  meeting: { host_id: string; org_id: string },
): boolean {
  if (me == null) return false;
  if (me.user.superadmin || me.user.id === meeting.host_id) return true;
  return me.memberships.some((m) => m.orgId === meeting.org_id && m.role === 'admin');
}
