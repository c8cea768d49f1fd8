import { describe, expect, it } from 'vitest';
import type { Me } from '../api/auth.js';
import { mayOpenRecordings } from './recordingAccess.js';

const meeting = { host_id: 'usr_host', org_id: 'org_a' };

function me(id: string, roles: Record<string, 'admin' | 'host' | 'member'>, superadmin = false): Me {
  return {
    user: { id, superadmin },
    memberships: Object.entries(roles).map(([orgId, role]) => ({ orgId, orgName: orgId, role })),
  } as unknown as Me;
}

describe('mayOpenRecordings', () => {
  it("lets the meeting's host, an admin of its organization and the operator in", () => {
    expect(mayOpenRecordings(me('usr_host', { org_a: 'host' }), meeting)).toBe(true);
    expect(mayOpenRecordings(me('usr_admin', { org_a: 'admin' }), meeting)).toBe(true);
    expect(mayOpenRecordings(me('usr_op', {}, true), meeting)).toBe(true);
  });

  it('keeps out other hosts and members, admins of another organization, and nobody signed in', () => {
    expect(mayOpenRecordings(me('usr_other', { org_a: 'host' }), meeting)).toBe(false);
    expect(mayOpenRecordings(me('usr_member', { org_a: 'member' }), meeting)).toBe(false);
    expect(mayOpenRecordings(me('usr_b', { org_b: 'admin', org_a: 'member' }), meeting)).toBe(false);
    expect(mayOpenRecordings(null, meeting)).toBe(false);
  });
});
