import type { RoleDefinition } from '@origo/kit';

/**
 * Every role of the platform, in start order: services that others call come first, the gateway (the
 * one public entry) last. Each role's package is imported only when that role starts, so
 * `origo start --role=sfu` never loads the web tier.
 */
const CATALOGUE: Array<{ name: string; description: string; load: () => Promise<RoleDefinition> }> = [
  {
    name: 'notification',
    description: 'e-mail (SMTP), web push and SMS through a durable outbox; preferences, reminders',
    load: async () => (await import('@origo/notification')).notificationRole,
  },
  {
    name: 'auth',
    description: 'accounts, sessions, JWT/JWKS, OIDC sign-in, organizations and roles',
    load: async () => (await import('@origo/auth')).authRole,
  },
  {
    name: 'billing',
    description: 'plans and quotas, usage metering per organization and day',
    load: async () => (await import('@origo/billing')).billingRole,
  },
  {
    name: 'control',
    description: 'meetings REST API: scheduling, lobby, host controls, join tokens, audit',
    load: async () => (await import('@origo/control')).controlRole,
  },
  {
    name: 'chat',
    description: 'in-meeting chat: ordered messages, history, edit and delete, raised hands',
    load: async () => (await import('@origo/chat')).chatRole,
  },
  {
    name: 'sfu',
    description: 'media plane: one SFU worker process per core (libdatachannel, or werift), gRPC control',
    load: async () => (await import('@origo/sfu')).sfuRole,
  },
  {
    name: 'signaling',
    description: 'WebSocket signaling (uWebSockets.js): rooms, SDP/ICE relay, TURN credentials',
    load: async () => (await import('@origo/signaling')).signalingRole,
  },
  {
    name: 'recording',
    description: 'meeting recordings: FFmpeg composite of the SFU plain RTP, local folder or S3',
    load: async () => (await import('@origo/recording')).recordingRole,
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
