// Helpers shared by the db test files.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { MIGRATIONS_TABLE, type DatabaseHandle } from '@origo/kit/db';
import { MIGRATIONS } from './backends.js';
import type { NoteId } from './fixtures/schema.js';
import type { Schema } from './notes-repository.js';

export const alice = { id: 'user_alice', requestId: 'req_1' };
export const bob = { id: 'user_bob' };
export const noteId = (n: number | string): NoteId => `note_${String(n).padStart(3, '0')}` as NoteId;

export function rowsOf<T>(result: unknown): T[] {
  // postgres.js returns the rows array itself, PGlite an object holding them.
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function tablesIn(handle: DatabaseHandle<Schema>): Promise<string[]> {
  const result = await handle.db.execute(
    sql`select table_name from information_schema.tables where table_schema = ${handle.schemaName} order by 1`,
  );
  return rowsOf<{ table_name: string }>(result).map((r) => r.table_name);
}

export async function migrationCount(handle: DatabaseHandle<Schema>): Promise<number> {
  const result = await handle.db.execute(
    sql`select count(*)::int as n from ${sql.identifier(handle.schemaName)}.${sql.identifier(MIGRATIONS_TABLE)}`,
  );
  return rowsOf<{ n: number }>(result)[0]?.n ?? -1;
}

/** A copy of the fixture migrations plus one more, to simulate a later (or broken) release. */
export async function migrationsWithExtra(extraSql: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'origo-migrations-'));
  await cp(MIGRATIONS, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
    entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
  };
  const first = journal.entries[0];
  if (first === undefined) throw new TypeError('fixture journal is empty');
  journal.entries.push({ ...first, idx: 1, when: first.when + 1000, tag: '0001_extra' });
  await writeFile(journalPath, JSON.stringify(journal, null, 2));
  await writeFile(join(dir, '0001_extra.sql'), extraSql);
  return dir;
}
