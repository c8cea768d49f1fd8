// Idempotency-Key for creating POSTs (draft-ietf-httpapi-idempotency-key-header): the response is stored
// with the key in the same transaction as the mutation, for 24 h. Same key and same body replays the
// stored response; same key and a different body is refused with 422.
import { createHash } from 'node:crypto';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, toProblem } from '@origo/kit';
import { isUniqueViolation, type Db } from './audit.js';
import { idempotencyKeys } from './db/schema.js';
import type { HandlerResult } from './http/route.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(body: unknown): string {
  return createHash('sha256')
    .update(canonical(body ?? null))
    .digest('base64url');
}

/** The Idempotency-Key header, validated; undefined when absent. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !KEY_PATTERN.test(value)) {
    throw AppError.invalid('Invalid Idempotency-Key', [
      { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
    ]);
  }
  return value;
}

function reusedProblem(reply: FastifyReply, request: FastifyRequest): HandlerResult {
  const doc = {
    ...toProblem(
      new AppError(
        ErrorCode.INVALID_ARGUMENT,
        'This Idempotency-Key was already used with a different request',
        {
          reason: 'idempotency_key_reused',
        },
      ),
      { instance: request.url.split('?')[0] ?? request.url, requestId: request.id },
    ),
    type: 'https://origo.dev/problems/idempotency-key-reused',
    title: 'Idempotency key reused',
    status: 422,
  };
  void reply.type('application/problem+json');
  return { status: 422, body: doc };
}

export interface IdempotentRun {
  scope: string;
  operation: string;
  key: string | undefined;
  body: unknown;
}

/**
 * Runs `fn` (the mutation, inside `db.transaction`) under an optional idempotency key. `fn` returns the
 * response to store and send.
 */
export async function runIdempotent(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  run: IdempotentRun,
  fn: (tx: Db) => Promise<HandlerResult>,
): Promise<HandlerResult> {
  if (run.key === undefined) return db.transaction(fn);
  const key = run.key;
  const hash = requestHash(run.body);

  const replay = async (): Promise<HandlerResult | null> => {
    const [row] = await db
      .select()
      .from(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.scope, run.scope),
          eq(idempotencyKeys.key, key),
          gt(idempotencyKeys.expiresAt, new Date()),
        ),
      )
      .limit(1);
    if (row === undefined) return null;
    if (row.operation !== run.operation || row.requestHash !== hash) return reusedProblem(reply, request);
    return { status: row.statusCode, body: row.response, headers: { 'idempotency-replayed': 'true' } };
  };

  const stored = await replay();
  if (stored !== null) return stored;
  try {
    return await db.transaction(async (tx) => {
      // An expired row for this key would collide with the insert below; it no longer counts.
      await tx
        .delete(idempotencyKeys)
        .where(
          and(
            eq(idempotencyKeys.scope, run.scope),
            eq(idempotencyKeys.key, key),
            lt(idempotencyKeys.expiresAt, new Date()),
          ),
        );
      const result = await fn(tx);
      if (result.status >= 300) return result;
      const now = new Date();
      await tx.insert(idempotencyKeys).values({
        scope: run.scope,
        key,
        operation: run.operation,
        requestHash: hash,
        statusCode: result.status,
        response: (result.body ?? null) as object,
        createdAt: now,
        expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      });
      return result;
    });
  } catch (err) {
    // A concurrent request with the same key committed first: our transaction rolled back, so answer
    // as a retry would.
    if (!isUniqueViolation(err)) throw err;
    const winner = await replay();
    if (winner !== null) return winner;
    throw new AppError(ErrorCode.ABORTED, 'A request with this Idempotency-Key is in progress; retry', {
      reason: 'idempotency_key_in_progress',
    });
  }
}

/** Drops keys past their 24 h; run now and then. */
export async function purgeExpiredKeys(db: Db): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, new Date()));
}
