// `@origo/auth/client`: what another service needs to trust auth's tokens and enforce its permissions,
// without the auth server (its database, password hashing, OIDC and routes). Control, notification and the
// gateway import this entry; only the launcher and auth's own tests import the whole package.
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
export type { UserId, OrgId } from './ids.js';
export {
  ADMIN_SIGN_OUT_REASONS,
  SESSION_ENDED_CHANNEL,
  createSessionRevocations,
  onSessionsEnded,
  publishSessionsEnded,
} from './session-events.js';
export type { SessionEndedMessage, SessionRevocations } from './session-events.js';
