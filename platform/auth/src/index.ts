// Public entry of @origo/auth.
export { createAuthService, openAuthDatabase, AUTH_MIGRATIONS } from './service.js';
export type { AuthService, AuthServiceDeps, AuthDatabase } from './service.js';
export { authRole, AUTH_KEK_SECRET } from './role.js';
export { authConfigSchema, settingsFromEnv, defaultSettings } from './config.js';
export type { AuthEnvConfig, AuthSettings, OidcSettings, ThrottleSettings } from './config.js';
export {
  PERMISSIONS,
  ORG_ROLES,
  ROLE_PERMISSIONS,
  PLATFORM_PERMISSIONS,
  hasPermission,
  roleIn,
  installAccessControl,
  requirePermission,
  authenticatedRoute,
  publicRoute,
  principalOf,
} from './rbac.js';
export type {
  Permission,
  OrgRole,
  Role,
  Membership,
  Principal,
  RouteAccess,
  RouteEntry,
  PrincipalResolver,
} from './rbac.js';
export {
  createAccessTokenVerifier,
  principalFromClaims,
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_TYPE,
} from './access-token.js';
export type {
  AccessTokenClaims,
  AccessTokenVerifier,
  AccessTokenVerifierOptions,
  KeySource,
} from './access-token.js';
export type { JsonWebKeySet } from './keys.js';
export { createHttpAuthClient, createInProcessAuthClient } from './client.js';
export type { AuthClient, CredentialHeaders } from './client.js';
export { SESSION_COOKIE } from './cookies.js';
export { PRODUCTION_ARGON2, passwordProblem } from './password.js';
export type { Argon2Params } from './password.js';
export type { UserId, OrgId } from './ids.js';
export { SESSION_ENDED_CHANNEL, createSessionRevocations, publishSessionsEnded } from './session-events.js';
export type { SessionEndedMessage, SessionRevocations } from './session-events.js';
