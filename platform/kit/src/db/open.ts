import { mkdir } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { PgTransactionConfig } from 'drizzle-orm/pg-core';
import { DatabaseConnectionError, InvalidStateError } from './errors.js';
import { applyMigrations, loadMigrations } from './migrate.js';
import { redactUrl, scrubPassword } from '../redact-url.js';
import type {
  Database,
  DatabaseHandle,
  DbLogger,
  OpenDatabaseOptions,
  ServiceDatabaseLocation,
  Transaction,
} from './types.js';

const SERVICE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 10;
/** Longest wait between two connection attempts of a pooled connection (seconds, before jitter). */
const RECONNECT_BACKOFF_MAX_SECONDS = 1;

/**
 * postgres.js waits `backoff(failures)` seconds after a failed connection before trying it again, and a
 * query sent meanwhile waits with it. Its default grows to 10-20 s after seven failures in a row (shared
 * by the pool, reset only by a success), so in an outage requests hung that long before failing, and
 * after PostgreSQL came back the pool took as long again to notice. Capped at 1 s: requests fail within
 * about a second while the database is down and the pool reconnects within about a second of it coming
 * back; a pool tries at most `max` connections per second, which a recovering server bears.
 */
export function reconnectBackoffSeconds(failures: number): number {
  const base = Math.min(0.05 * 2 ** Math.max(0, failures - 1), RECONNECT_BACKOFF_MAX_SECONDS);
  return base * (0.5 + Math.random() / 2);
}

const fallbackLogger: DbLogger = {
  warn: (obj, msg) => console.error(msg ?? 'db warning', obj),
  error: (obj, msg) => console.error(msg ?? 'db error', obj),
};

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

function positiveNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`openDatabase: ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

interface Driver {
  kind: 'pglite' | 'postgres';
  db: Database<Record<string, unknown>>;
  end(): Promise<void>;
}

async function openPglite(
  dataDir: string,
  schemaName: string,
  schema: Record<string, unknown>,
): Promise<Driver> {
  const [{ PGlite }, { drizzle }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  let client: InstanceType<typeof PGlite> | undefined;
  try {
    if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
    client = await PGlite.create(dataDir);
    // PGlite has one session, so setting it once covers every later query.
    await client.exec(`set search_path to "${schemaName}"`);
  } catch (err) {
    await client?.close().catch(() => {});
    throw new DatabaseConnectionError(
      `cannot open the embedded database in ${dataDir} (check ORIGO_DATA): ${describeError(err)}`,
      { cause: err },
    );
  }
  return {
    kind: 'pglite',
    db: drizzle({ client, schema }),
    end: () => client.close(),
  };
}

async function openPostgres(
  databaseUrl: string,
  service: string,
  schemaName: string,
  schema: Record<string, unknown>,
  connectTimeoutMs: number,
  maxConnections: number,
): Promise<Driver> {
  let protocol: string;
  try {
    protocol = new URL(databaseUrl).protocol;
  } catch {
    throw new DatabaseConnectionError(
      'DATABASE_URL is not a valid URL (expected postgres://user@host:port/db)',
    );
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new DatabaseConnectionError(
      `DATABASE_URL must start with postgres:// or postgresql://, got ${redactUrl(databaseUrl)}`,
    );
  }
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = postgres(databaseUrl, {
    max: maxConnections,
    connect_timeout: connectTimeoutMs / 1000,
    backoff: reconnectBackoffSeconds,
    // A startup parameter, so every pooled connection resolves tables in the service's own schema.
    connection: { search_path: schemaName, application_name: `origo-${service}` },
    // "schema already exists, skipping" and similar notices are expected at every start.
    onnotice: () => {},
  });
  try {
    await client`select 1`;
  } catch (err) {
    await client.end({ timeout: 0 }).catch(() => {});
    throw new DatabaseConnectionError(
      `DATABASE_URL: cannot connect to ${redactUrl(databaseUrl)}: ${scrubPassword(describeError(err), databaseUrl)}`,
      { cause: err },
    );
  }
  return {
    kind: 'postgres',
    db: drizzle({ client, schema }),
    end: () => client.end({ timeout: 5 }),
  };
}

/**
 * Opens the service's database and applies its committed migrations. With `databaseUrl` it uses
 * PostgreSQL (postgres.js); otherwise PGlite under `dataDir`. Either way the service's tables and its
 * migration history live in a schema named after the service, so services can share one PostgreSQL
 * database without seeing each other.
 */
export async function openDatabase<TSchema extends Record<string, unknown>>(
  options: OpenDatabaseOptions<TSchema>,
): Promise<DatabaseHandle<TSchema>> {
  const { service, schema, migrationsFolder } = options;
  if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
    throw new TypeError(
      `openDatabase: service must match ${String(SERVICE_NAME)} (it names a PostgreSQL schema), got ${JSON.stringify(service)}`,
    );
  }
  if (typeof migrationsFolder !== 'string' || migrationsFolder === '') {
    throw new TypeError('openDatabase: migrationsFolder is required');
  }
  const databaseUrl = options.databaseUrl === '' ? undefined : options.databaseUrl;
  const dataDir = options.dataDir === '' ? undefined : options.dataDir;
  if (databaseUrl === undefined && dataDir === undefined) {
    throw new TypeError(
      "openDatabase: set databaseUrl (DATABASE_URL) or dataDir (use 'memory://' for an in-memory database)",
    );
  }
  const logger = options.logger ?? fallbackLogger;
  const connectTimeoutMs = positiveNumber(
    'connectTimeoutMs',
    options.connectTimeoutMs,
    DEFAULT_CONNECT_TIMEOUT_MS,
  );
  const maxConnections = positiveNumber('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS);
  const schemaName = service;
  // Read before connecting: a missing folder is a packaging bug and should not cost a connection.
  const migrations = loadMigrations(migrationsFolder, schemaName);

  const driver =
    databaseUrl !== undefined
      ? await openPostgres(databaseUrl, service, schemaName, schema, connectTimeoutMs, maxConnections)
      : await openPglite(dataDir as string, schemaName, schema);

  let migrationsApplied: number;
  try {
    ({ applied: migrationsApplied } = await applyMigrations(driver.db, migrations, schemaName, logger));
  } catch (err) {
    await driver.end().catch(() => {});
    throw err;
  }

  const db = driver.db as Database<TSchema>;
  let closing: Promise<void> | undefined;
  const assertOpen = (): void => {
    if (closing !== undefined) throw new InvalidStateError(`database for ${service} is closed`);
  };

  return {
    db,
    kind: driver.kind,
    service,
    schemaName,
    migrationsApplied,
    async ping() {
      assertOpen();
      await db.execute(sql`select 1`);
    },
    async transaction<T>(
      fn: (tx: Transaction<TSchema>) => Promise<T>,
      config?: PgTransactionConfig,
    ): Promise<T> {
      assertOpen();
      return db.transaction(fn, config);
    },
    close() {
      closing ??= driver.end().catch((err: unknown) => {
        logger.warn({ service, err: describeError(err) }, 'error while closing the database');
      });
      return closing;
    },
  };
}

/**
 * A service's database opener: its name, drizzle schema and committed migrations fixed here, the location
 * (PostgreSQL URL or PGlite folder) left to the caller. Every service exports one (`openChatDatabase`, ...).
 */
export function databaseOpener<TSchema extends Record<string, unknown>>(
  service: string,
  schema: TSchema,
  migrationsFolder: string,
): (location: ServiceDatabaseLocation) => Promise<DatabaseHandle<TSchema>> {
  return (location) =>
    openDatabase({
      service: location.service ?? service,
      schema,
      migrationsFolder,
      databaseUrl: location.databaseUrl,
      dataDir: location.dataDir,
      logger: location.logger,
    });
}
