// Public entry of @origo/auth: the server (service, role, configuration, password policy) and everything
// the client entry offers other services.
export * from './client-entry.js';
export { createAuthService, openAuthDatabase, AUTH_MIGRATIONS } from './service.js';
export type { AuthService, AuthServiceDeps, AuthDatabase } from './service.js';
export { authRole, AUTH_KEK_SECRET } from './role.js';
export { authConfigSchema, settingsFromEnv, defaultSettings } from './config.js';
export type { AuthEnvConfig, AuthSettings, OidcSettings, ThrottleSettings } from './config.js';
export { PRODUCTION_ARGON2, passwordProblem } from './password.js';
export type { Argon2Params } from './password.js';
