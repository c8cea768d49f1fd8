import type { RoleDefinition } from '@origo/kit';

/**
 * Every role of the platform, in start order: services that others call come first, the gateway (the
 * one public entry) last. Each role's package is imported only when that role starts, so
 * `origo start --role=sfu` never loads the web tier.
 */
const CATALOGUE: Array<{ name: string; description: string; load: () => Promise<RoleDefinition> }> = [
  {
    name: 'auth',
    description: 'accounts, sessions, JWT/JWKS, OIDC sign-in, organizations and roles',
    load: async () => (await import('@origo/auth')).authRole,
  },
  {
    name: 'control',
    description: 'meetings REST API: scheduling, lobby, host controls, join tokens, audit',
    load: async () => (await import('@origo/control')).controlRole,
  },
  {
    name: 'sfu',
    description: 'media plane: one werift SFU worker process per core, gRPC control',
    load: async () => (await import('@origo/sfu')).sfuRole,
  },
  {
    name: 'signaling',
    description: 'WebSocket signaling (uWebSockets.js): rooms, SDP/ICE relay, TURN credentials',
    load: async () => (await import('@origo/signaling')).signalingRole,
  },
  {
    name: 'gateway',
    description: 'the single HTTP entry: /api, /ws and the web client',
    load: async () => (await import('@origo/gateway')).gatewayRole,
  },
];

export const ROLES: RoleDefinition[] = CATALOGUE.map(({ name, description, load }) => ({
  name,
  description,
  async start(ctx) {
    const role = await load();
    return role.start(ctx);
  },
}));
