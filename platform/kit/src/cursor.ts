// Keyset paging cursors: opaque to callers (base64url JSON of the sort key of the last item), and decoded
// with a schema, so a crafted cursor is a 400 naming `cursor` and never a value the database refuses
// (a fraction or 1e400 for a bigint, "not a date" for a timestamp, a NUL in an id).
import { z } from 'zod';
import { AppError } from './errors.js';
import { controlCharacterProblem } from './input.js';

/** The sort key of the last item returned, as the next request's `cursor`. */
export function encodeCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The building blocks of cursor schemas. */
export const cursorPart = {
  /** A text id or sort value: non-empty, bounded, no control characters. */
  text: z
    .string()
    .min(1)
    .max(256)
    .refine((value) => controlCharacterProblem(value) === null),
  /** An ISO 8601 UTC timestamp as `Date.toISOString()` writes it; decodes to a Date. */
  timestamp: z.iso
    .datetime({ precision: 3 })
    .transform((value) => new Date(value))
    .refine((date) => !Number.isNaN(date.getTime())),
  /** A positive row number (bigserial ids) within the range a JS number holds exactly. */
  serial: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
} as const;

/**
 * Decodes a cursor this service issued with `schema` (a `z.tuple` of `cursorPart`s); anything else,
 * however it fails, is the same 400 naming the `cursor` field.
 */
export function decodeCursor<S extends z.ZodType>(
  cursor: string,
  schema: S,
  message = 'Invalid query parameters',
): z.output<S> {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]*$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : undefined;
  } catch {
    decoded = undefined;
  }
  const result = schema.safeParse(decoded);
  if (decoded === undefined || !result.success) {
    throw AppError.invalid(message, [{ field: 'cursor', message: 'is not a cursor this API issued' }]);
  }
  return result.data;
}
