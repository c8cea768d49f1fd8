// The database backends the db tests run against: PGlite always, PostgreSQL when DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle, type DbLogger } from '@origo/kit/db';
import * as schema from './fixtures/schema.js';
import type { Schema } from './notes-repository.js';

export const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
export const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;

/** Unique per test run so parallel runs against one PostgreSQL never collide. */
export const RUN_ID = randomBytes(4).toString('hex');

export interface Backend {
  readonly name: 'pglite-memory' | 'pglite-dir' | 'postgres';
  /** Data survives close and re-open under the same label. */
  readonly persistent: boolean;
  open(
    label: string,
    opts?: { migrationsFolder?: string; logger?: DbLogger },
  ): Promise<DatabaseHandle<Schema>>;
  /** Removes everything the backend created (temp dirs, schemas). */
  cleanup(): Promise<void>;
}

export function serviceName(label: string): string {
  return `t${RUN_ID}_${label}`;
}

function pgliteMemory(): Backend {
  return {
    name: 'pglite-memory',
    persistent: false,
    open: (label, opts) =>
      openDatabase({
        service: serviceName(label),
        schema,
        migrationsFolder: opts?.migrationsFolder ?? MIGRATIONS,
        dataDir: 'memory://',
        logger: opts?.logger,
      }),
    cleanup: async () => {},
  };
}

function pgliteDir(): Backend {
  let root: string | undefined;
  return {
    name: 'pglite-dir',
    persistent: true,
    async open(label, opts) {
      root ??= await mkdtemp(join(tmpdir(), 'origo-db-test-'));
      return openDatabase({
        service: serviceName(label),
        schema,
        migrationsFolder: opts?.migrationsFolder ?? MIGRATIONS,
        dataDir: join(root, label),
        logger: opts?.logger,
      });
    },
    async cleanup() {
      if (root !== undefined) await rm(root, { recursive: true, force: true });
    },
  };
}

function postgresBackend(url: string): Backend {
  const created = new Set<string>();
  return {
    name: 'postgres',
    persistent: true,
    open(label, opts) {
      created.add(serviceName(label));
      return openDatabase({
        service: serviceName(label),
        schema,
        migrationsFolder: opts?.migrationsFolder ?? MIGRATIONS,
        databaseUrl: url,
        logger: opts?.logger,
        maxConnections: 4,
      });
    },
    async cleanup() {
      await dropSchemas(url, [...created]);
    },
  };
}

export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const name of schemas) await admin`drop schema if exists ${admin(name)} cascade`;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Runs `fn` with a short-lived admin connection (outside any service schema). */
export async function withAdmin<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export const backends: Backend[] = [
  pgliteMemory(),
  pgliteDir(),
  ...(DATABASE_URL !== undefined ? [postgresBackend(DATABASE_URL)] : []),
];
