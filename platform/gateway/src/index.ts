export { createGateway, routeFor } from './gateway.js';
export type { Gateway, GatewayDeps, GatewayUpstreams, UpstreamSource } from './gateway.js';
export { gatewayRole } from './role.js';
export { gatewayConfigSchema, defaultGatewaySettings } from './config.js';
export type { GatewayEnvConfig, GatewaySettings } from './config.js';
export { contentSecurityPolicy } from './security.js';
export { findClientDist } from './static.js';
