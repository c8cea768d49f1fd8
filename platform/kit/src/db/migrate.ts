import { createHash } from 'node:crypto';
import { desc, sql } from 'drizzle-orm';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import { bigint, pgSchema, serial, text } from 'drizzle-orm/pg-core';
import type { Database, DbLogger } from './types.js';
import { MigrationError } from './errors.js';

/** Same table layout as drizzle's migrator, so drizzle tooling reads our history unchanged. */
export const MIGRATIONS_TABLE = '__drizzle_migrations';

function migrationsTable(schemaName: string) {
  return pgSchema(schemaName).table(MIGRATIONS_TABLE, {
    id: serial('id').primaryKey(),
    hash: text('hash').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }),
  });
}

/**
 * Reads the committed drizzle-kit migrations. drizzle-kit qualifies enum types and foreign-key targets
 * of schema-less tables with "public"; those are remapped to the service schema so one set of
 * migrations works in whichever schema the service owns.
 */
export function loadMigrations(migrationsFolder: string, schemaName: string): MigrationMeta[] {
  let migrations: MigrationMeta[];
  try {
    migrations = readMigrationFiles({ migrationsFolder });
  } catch (err) {
    throw new TypeError(
      `openDatabase: cannot read migrations from ${migrationsFolder}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return migrations.map((m) => ({
    ...m,
    sql: m.sql.map((stmt) => stmt.replaceAll('"public".', `"${schemaName}".`)),
  }));
}

function lockKey(schemaName: string): string {
  return createHash('sha256').update(`origo:migrate:${schemaName}`).digest().readBigInt64BE(0).toString();
}

/**
 * Applies, in one transaction, every migration newer than the last one recorded in the service's own
 * migrations table (forward-only, as drizzle's migrator does). An advisory lock serialises replicas of
 * the same service starting at once; the loser then finds nothing left to apply.
 */
export async function applyMigrations(
  db: Database<Record<string, unknown>>,
  migrations: readonly MigrationMeta[],
  schemaName: string,
  logger: DbLogger,
): Promise<{ applied: number }> {
  const table = migrationsTable(schemaName);
  let applied = 0;
  let current: MigrationMeta | undefined;
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${lockKey(schemaName)}::bigint)`);
      await tx.execute(sql`create schema if not exists ${sql.identifier(schemaName)}`);
      await tx.execute(sql`
        create table if not exists ${sql.identifier(schemaName)}.${sql.identifier(MIGRATIONS_TABLE)} (
          id serial primary key,
          hash text not null,
          created_at bigint
        )`);
      const [last] = await tx
        .select({ createdAt: table.createdAt })
        .from(table)
        .orderBy(desc(table.createdAt))
        .limit(1);
      const lastApplied = last?.createdAt ?? null;
      for (const migration of migrations) {
        if (lastApplied !== null && migration.folderMillis <= lastApplied) continue;
        current = migration;
        for (const stmt of migration.sql) {
          if (stmt.trim() !== '') await tx.execute(sql.raw(stmt));
        }
        await tx.insert(table).values({ hash: migration.hash, createdAt: migration.folderMillis });
        applied += 1;
      }
      current = undefined;
      const newest = migrations.at(-1)?.folderMillis ?? 0;
      if (lastApplied !== null && lastApplied > newest) {
        logger.warn(
          { schema: schemaName, lastApplied, newestKnown: newest },
          'database has migrations newer than this build; running against a newer schema',
        );
      }
    });
  } catch (err) {
    const which = current === undefined ? 'migration bookkeeping' : `migration ${current.folderMillis}`;
    throw new MigrationError(
      `${schemaName}: ${which} failed, nothing was applied: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return { applied };
}
