// Every organization of the installation, for the platform's superadmin: the admin area picks one by name
// (to move it to another plan, or to read its audit log) instead of asking for its id.
import { and, asc, count, eq, gt, ilike, or } from 'drizzle-orm';
import type { Db } from './audit.js';
import { memberships, organizations } from './db/schema.js';
import type { OrgId } from './ids.js';
import { cursorPart, decodeCursor, pageOf, type Page } from './pagination.js';
import { z } from 'zod';

export interface OrganizationSummary {
  id: string;
  name: string;
  createdAt: string;
  memberCount: number;
}

/** Organizations whose name contains `q` (any case) or whose id is `q`, by name then id. */
export async function searchOrganizations(
  db: Db,
  opts: { q?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<Page<OrganizationSummary>> {
  const after =
    opts.cursor === undefined
      ? undefined
      : decodeCursor(opts.cursor, z.tuple([cursorPart.text, cursorPart.text]));
  const q = opts.q?.trim() ?? '';
  const rows = await db
    .select({
      id: organizations.id,
      name: organizations.name,
      createdAt: organizations.createdAt,
      memberCount: count(memberships.userId),
    })
    .from(organizations)
    .leftJoin(memberships, eq(memberships.orgId, organizations.id))
    .where(
      and(
        q === ''
          ? undefined
          : or(
              ilike(organizations.name, `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
              eq(organizations.id, q as OrgId),
            ),
        after === undefined
          ? undefined
          : or(
              gt(organizations.name, after[0]),
              and(eq(organizations.name, after[0]), gt(organizations.id, after[1] as OrgId)),
            ),
      ),
    )
    .groupBy(organizations.id)
    .orderBy(asc(organizations.name), asc(organizations.id))
    .limit(opts.limit + 1);
  const page = pageOf(rows, opts.limit, (r) => [r.name, r.id]);
  return {
    items: page.items.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.createdAt.toISOString(),
      memberCount: Number(r.memberCount),
    })),
    nextCursor: page.nextCursor,
  };
}
