// The member directory of an organization: who belongs to it, by user id and display name only (no
// e-mail, no role), for every member of the organization to read. Control reads it to show the presence
// of an organization's members; the member list with e-mails and roles stays with org admins.
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from './audit.js';
import { memberships, users } from './db/schema.js';
import type { OrgId } from './ids.js';

export interface DirectoryEntry {
  user_id: string;
  display_name: string;
}

/** Most entries one answer carries; an organization beyond it is listed in part (by user id). */
export const MAX_DIRECTORY = 5000;

/** Members of `orgId` whose account is not disabled, by user id. */
export async function memberDirectory(db: Db, orgId: OrgId): Promise<DirectoryEntry[]> {
  const rows = await db
    .select({ id: users.id, name: users.displayName })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), isNull(users.disabledAt)))
    .orderBy(asc(memberships.userId))
    .limit(MAX_DIRECTORY);
  return rows.map((r) => ({ user_id: r.id, display_name: r.name }));
}
