export { databaseOpener, openDatabase } from './open.js';
export { DatabaseConnectionError, InvalidStateError, MigrationError } from './errors.js';
export { MIGRATIONS_TABLE } from './migrate.js';
export { isDatabaseUnavailable } from './unavailable.js';
export {
  auditEventColumns,
  orgAuditView,
  rowAuditColumns,
  timestampMs,
  type OrgAuditRow,
} from './columns.js';
export {
  auditFilterQuery,
  auditFilterWhere,
  auditRangeProblem,
  type AuditFilter,
  type AuditFilterColumns,
} from './audit-filter.js';
export type {
  Database,
  DatabaseHandle,
  DbLogger,
  OpenDatabaseOptions,
  ServiceDatabaseLocation,
  Transaction,
  TransactionConfig,
} from './types.js';
