// Billing's audit log over REST, for the admin area's Audit tab: the superadmin reads every change to plans,
// subscriptions, tax settings and invoices; an organization's admins read their own subscription changes.
import { and, desc, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, cursorPart, decodeCursor, encodeCursor, parseOrThrow } from '@origo/kit';
import { auditFilterQuery, auditFilterWhere, auditRangeProblem, orgAuditView } from '@origo/kit/db';
import { requirePermission } from '@origo/auth/client';
import type { Db } from '../audit.js';
import { auditEvents } from '../db/schema.js';

const auditQuery = z.strictObject({
  ...auditFilterQuery,
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(50),
  cursor: z.string().max(512, 'is too long').optional(),
});
const orgParams = z.strictObject({
  orgId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 plain characters'),
});

/** The entities an organization's admins see in their own log. */
const ORG_ENTITIES = 'subscription';

async function page(db: Db, query: unknown, orgId: string | undefined) {
  const q = parseOrThrow(auditQuery, query, 'Invalid query parameters');
  const problem = auditRangeProblem(q);
  if (problem !== null)
    throw AppError.invalid('Invalid query parameters', [{ field: 'to', message: problem }]);
  const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor, z.tuple([cursorPart.serial]))[0];
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        orgId === undefined
          ? undefined
          : and(eq(auditEvents.orgId, orgId), eq(auditEvents.entity, ORG_ENTITIES)),
        auditFilterWhere(auditEvents, q),
        before === undefined ? undefined : lt(auditEvents.id, before),
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = items.at(-1);
  return {
    items: items.map(orgAuditView),
    nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor([last.id]) : null,
  };
}

export function registerAuditRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.get('/api/billing/audit', { ...requirePermission('platform:admin') }, (request) =>
    page(deps.db, request.query, undefined),
  );

  app.get(
    '/api/billing/orgs/:orgId/audit',
    { ...requirePermission('audit:read', { orgParam: 'orgId' }) },
    (request) => page(deps.db, request.query, parseOrThrow(orgParams, request.params).orgId),
  );
}
