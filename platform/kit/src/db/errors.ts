/**
 * The database could not be reached or opened. The message names the variable to fix (`DATABASE_URL`)
 * or the data directory, and never contains a password.
 */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
  readonly code = 'DATABASE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A migration failed to apply; the transaction was rolled back, so the schema is unchanged. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'MIGRATION_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An operation on a database handle after `close()`. */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
}
