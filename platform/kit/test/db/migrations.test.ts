import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS_TABLE, MigrationError } from '@origo/kit/db';
import { backends, DATABASE_URL, withAdmin, type Backend } from './backends.js';
import { alice, migrationCount, migrationsWithExtra, noteId, tablesIn } from './helpers.js';
import { NotesRepository } from './notes-repository.js';

afterAll(async () => {
  for (const backend of backends) await backend.cleanup();
});

describe.each(backends.filter((b) => b.persistent))('re-opening on $name', (backend: Backend) => {
  const folders: string[] = [];

  afterAll(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  it('keeps data across re-open and re-applying migrations is a no-op', async () => {
    const first = await backend.open('persist');
    expect(first.migrationsApplied).toBe(1);
    await new NotesRepository(first.db).create({ id: noteId(1), body: 'survives' }, alice);
    await first.close();

    const second = await backend.open('persist');
    try {
      expect(second.migrationsApplied).toBe(0);
      expect(await migrationCount(second)).toBe(1);
      expect((await new NotesRepository(second.db).get(noteId(1)))?.body).toBe('survives');
    } finally {
      await second.close();
    }
  });

  it('applies a failing release all or nothing, then the fixed release cleanly', async () => {
    const broken = await migrationsWithExtra('CREATE TABLE "extra" ("id" text);\nSELECT no_such_function();');
    folders.push(broken);
    const error = await backend.open('broken', { migrationsFolder: broken }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect(String((error as Error).message)).toMatch(/no_such_function/);

    // The first migration was in the same transaction, so the fixed release starts from scratch.
    const fixed = await backend.open('broken');
    try {
      expect(fixed.migrationsApplied).toBe(1);
      expect(await tablesIn(fixed)).not.toContain('extra');
    } finally {
      await fixed.close();
    }
  });

  it('warns, and keeps working, when the database is newer than the build', async () => {
    const newer = await migrationsWithExtra('CREATE TABLE "extra" ("id" text primary key);');
    folders.push(newer);
    const upgraded = await backend.open('newer', { migrationsFolder: newer });
    expect(upgraded.migrationsApplied).toBe(2);
    await upgraded.close();

    const logger = { warn: vi.fn(), error: vi.fn() };
    const downgraded = await backend.open('newer', { logger });
    try {
      expect(downgraded.migrationsApplied).toBe(0);
      expect(await migrationCount(downgraded)).toBe(2);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.objectContaining({ schema: downgraded.schemaName }),
        expect.stringMatching(/newer than this build/),
      );
    } finally {
      await downgraded.close();
    }
  });
});

describe.each(DATABASE_URL !== undefined ? [DATABASE_URL] : [])('two services on one PostgreSQL', (url) => {
  const services = backends.find((b) => b.name === 'postgres');

  it('keep separate schemas, tables and migration histories', async () => {
    if (services === undefined) throw new TypeError('postgres backend missing');
    const a = await services.open('svc_a');
    const b = await services.open('svc_b');
    try {
      // Both apply the same migrations, including an enum drizzle-kit qualifies with "public".
      expect([a.migrationsApplied, b.migrationsApplied]).toEqual([1, 1]);
      await new NotesRepository(a.db).create({ id: noteId(1), body: 'only in a' }, alice);
      expect((await new NotesRepository(b.db).list({ limit: 10 })).items).toEqual([]);
      expect(await migrationCount(a)).toBe(1);
      expect(await migrationCount(b)).toBe(1);

      const placed = await withAdmin(
        url,
        (admin) => admin<{ table_schema: string; table_name: string }[]>`
          select table_schema, table_name from information_schema.tables
          where table_schema in ${admin([a.schemaName, b.schemaName])} order by 1, 2`,
      );
      const expected = (s: string) =>
        [MIGRATIONS_TABLE, 'audit_events', 'notes'].sort().map((t) => ({ table_schema: s, table_name: t }));
      expect([...placed]).toEqual([...expected(a.schemaName), ...expected(b.schemaName)].sort(bySchemaTable));
      const counts = await withAdmin(
        url,
        (admin) => admin<{ n: number }[]>`
          select (select count(*)::int from ${admin(a.schemaName)}.notes)
               + 10 * (select count(*)::int from ${admin(b.schemaName)}.notes) as n`,
      );
      expect(counts[0]?.n).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

function bySchemaTable(
  x: { table_schema: string; table_name: string },
  y: { table_schema: string; table_name: string },
): number {
  return x.table_schema.localeCompare(y.table_schema, 'en') || x.table_name.localeCompare(y.table_name, 'en');
}
