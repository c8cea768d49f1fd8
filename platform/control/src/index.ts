export { createControlService, openControlDatabase, CONTROL_MIGRATIONS } from './service.js';
export type { ControlService, ControlServiceDeps, ControlDatabase } from './service.js';
export { controlRole } from './role.js';
export { controlConfigSchema, defaultSettings, settingsFromEnv } from './config.js';
export type { ControlEnvConfig, ControlSettings } from './config.js';
export { createPrincipalResolver, createAuthSessionLookup } from './access.js';
export type { SessionLookup } from './access.js';
export { MeetingStore } from './meetings.js';
export {
  createGrpcBillingQuota,
  type BillingQuota,
  type JoinQuota,
  type PlanCaps,
  type RecordingQuota,
} from './billing.js';
export { nextOccurrences, parseRule, isValidTimeZone, zonedToInstant } from './recurrence.js';
export * from './contracts.js';
export * from './ids.js';
export * as controlSchema from './db/schema.js';
export { authMemberDirectory, type MemberDirectory, type OrgMember } from './directory.js';
