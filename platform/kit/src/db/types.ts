import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction, PgTransactionConfig } from 'drizzle-orm/pg-core';

/**
 * The drizzle database as repositories see it: the common base of the PGlite and postgres.js drivers,
 * so a repository is written once. A transaction is also a `Database` (nested calls use savepoints).
 * Prefer the query builder: the result shape of raw `execute()` differs between the two drivers.
 */
export type Database<TSchema extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, TSchema>;

export type Transaction<TSchema extends Record<string, unknown>> = PgTransaction<
  PgQueryResultHKT,
  TSchema,
  ExtractTablesWithRelations<TSchema>
>;

export type { PgTransactionConfig as TransactionConfig };

/** Structural so this module does not depend on the logging module; a pino logger fits. */
export interface DbLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OpenDatabaseOptions<TSchema extends Record<string, unknown>> {
  /** Service name; also the PostgreSQL schema that holds its tables and migration history. */
  service: string;
  /** The drizzle schema (tables and relations) for typed queries. */
  schema: TSchema;
  /** Folder of drizzle-kit migrations (the one holding `meta/_journal.json`). */
  migrationsFolder: string;
  /** DATABASE_URL; when set (non-empty), PostgreSQL over postgres.js is used. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, usually `${ORIGO_DATA}/${service}`; `memory://` keeps it in memory. */
  dataDir?: string | undefined;
  logger?: DbLogger | undefined;
  /** Bound on reaching PostgreSQL at open and on each new pooled connection. Default 10 s. */
  connectTimeoutMs?: number | undefined;
  /** postgres.js pool size. Default 10. */
  maxConnections?: number | undefined;
}

export interface DatabaseHandle<TSchema extends Record<string, unknown>> {
  readonly db: Database<TSchema>;
  readonly kind: 'pglite' | 'postgres';
  readonly service: string;
  /** The PostgreSQL schema the service's tables live in. */
  readonly schemaName: string;
  /** How many migrations this open applied (0 when the database was up to date). */
  readonly migrationsApplied: number;
  /** Resolves when the database answers a trivial query; for `/health/ready`. */
  ping(): Promise<void>;
  transaction<T>(fn: (tx: Transaction<TSchema>) => Promise<T>, config?: PgTransactionConfig): Promise<T>;
  /** Closes the client or pool; safe to call more than once. */
  close(): Promise<void>;
}

/** Where a service's database is: what its role or a test chooses (the schema and migrations are fixed). */
export interface ServiceDatabaseLocation {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  logger?: DbLogger | undefined;
  /** PostgreSQL schema name; tests use a unique one per run. Default the service's name. */
  service?: string;
}
