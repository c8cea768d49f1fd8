import { AppError } from '@origo/kit';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const MAX_PAGE_SIZE = 100;

/** Opaque cursor: base64url JSON of the sort key of the last item returned. */
export function encodeCursor(key: Array<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: Array<'string' | 'number'>): Array<string | number> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === shape.length &&
      parsed.every((v, i) => typeof v === shape[i])
    ) {
      return parsed as Array<string | number>;
    }
  } catch {
    // The uniform error below.
  }
  throw AppError.invalid('Invalid cursor', [
    { field: 'cursor', message: 'is not a cursor this endpoint returned' },
  ]);
}

export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => Array<string | number>): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
