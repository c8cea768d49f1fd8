// REST routes of the notification service (behind the gateway under /api/notifications, plus the
// admin outbox at /api/admin/outbox). Each declares its access through @origo/auth.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { z } from 'zod';
import { AppError, cursorPart, decodeCursor as decodeKey, encodeCursor, parseOrThrow } from '@origo/kit';
import { authenticatedRoute, principalOf, publicRoute, requirePermission } from '@origo/auth/client';
import type { Actor, Db } from '../audit.js';
import { LOCAL_OUTBOX_PREFIX } from '../channels/email.js';
import { deliveries, type DeliveryRow } from '../db/schema.js';
import { CHANNELS, KIND_POLICY, KINDS, type Channel } from '../kinds.js';
import type { PreferenceStore } from '../preferences.js';
import { verifyUnsubscribe } from '../unsubscribe.js';
import { isE164 } from '../validation.js';

export interface RouteDeps {
  db: Db;
  preferences: PreferenceStore;
  available: ReadonlySet<Channel>;
  vapidPublicKey: string;
  unsubscribeSecret: string;
  allowPrivatePushEndpoints: boolean;
}

const channelList = z.array(z.enum(CHANNELS)).max(CHANNELS.length);
const preferencesBody = z.strictObject({
  kinds: z.partialRecord(z.enum(KINDS), channelList).optional(),
  phone: z
    .string()
    .trim()
    .refine((value) => value === '' || isE164(value), 'must be an E.164 number such as +4915112345678')
    .nullable()
    .optional(),
});
const base64url = z.string().regex(/^[A-Za-z0-9_-]+=*$/, 'must be base64url');
const subscriptionBody = z.strictObject({
  endpoint: z.string().max(2000),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({ p256dh: base64url.max(200), auth: base64url.max(100) }),
});
const removeBody = z.strictObject({ endpoint: z.string().max(2000) });
const tokenQuery = z.strictObject({ token: z.string().min(1).max(600) });
const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

function actorOf(request: FastifyRequest): Actor {
  return { id: request.principal?.userId ?? 'anonymous', requestId: request.id };
}

/** Push services are public HTTPS hosts; refusing loopback and private literals keeps this from
 * being used to make the server POST into its own network. */
function pushEndpointProblem(endpoint: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be a URL';
  }
  if (url.protocol !== 'https:') return 'must be an https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const privateHost =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.internal') ||
    /^(127\.|10\.|192\.168\.|169\.254\.|0\.)/.test(host) ||
    /^172\.(1[6-9]|2[0-9]|3[01])\./.test(host) ||
    host === '::1' ||
    host.startsWith('fc') ||
    host.startsWith('fd') ||
    host.startsWith('fe80');
  return privateHost ? 'must be a public push service' : null;
}

function outboxView(row: DeliveryRow) {
  return {
    id: row.id,
    channel: row.channel,
    to: row.address,
    subject: row.subject,
    body: row.bodyText,
    status: row.status,
    /** Delivered to the local outbox only: no mail server is set (SMTP_URL), so nothing left the machine. */
    keptLocally: row.providerId?.startsWith(LOCAL_OUTBOX_PREFIX) === true,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.deliveredAt?.toISOString() ?? null,
  };
}

const OUTBOX_CURSOR = z.tuple([cursorPart.timestamp, cursorPart.text]);

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, id] = decodeKey(cursor, OUTBOX_CURSOR);
  return { createdAt, id };
}

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { preferences } = deps;

  // RFC 8058 one-click unsubscribe POSTs arrive form-encoded.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const preferenceView = async (userId: string) => {
    const view = await preferences.view(userId);
    return {
      kinds: KINDS.filter((kind) => KIND_POLICY[kind].accountless !== true).map((kind) => ({
        kind,
        label: KIND_POLICY[kind].label,
        mandatory: KIND_POLICY[kind].mandatory,
        channels: view.kinds[kind].filter((c) => deps.available.has(c)),
      })),
      availableChannels: CHANNELS.filter((c) => deps.available.has(c)),
      phone: view.phone,
      email: view.email,
      pushSubscriptions: view.pushSubscriptions,
      vapidPublicKey: deps.vapidPublicKey,
    };
  };

  app.get('/api/notifications/preferences', { ...authenticatedRoute() }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    return preferenceView(principalOf(request).userId);
  });

  app.put('/api/notifications/preferences', { ...authenticatedRoute() }, async (request) => {
    const principal = principalOf(request);
    const body = parseOrThrow(preferencesBody, request.body);
    for (const [kind, channels] of Object.entries(body.kinds ?? {})) {
      for (const channel of channels ?? []) {
        if (!deps.available.has(channel))
          throw AppError.invalid('Invalid preferences', [
            { field: `kinds.${kind}`, message: `the ${channel} channel is not available on this server` },
          ]);
      }
    }
    const actor = actorOf(request);
    await preferences.update(
      principal.userId,
      {
        kinds: body.kinds,
        ...(body.phone === undefined ? {} : { phone: body.phone === '' ? null : body.phone }),
      },
      actor,
    );
    await deps.db.transaction((tx) =>
      preferences.upsertContact(
        tx,
        principal.userId,
        { email: principal.email, displayName: principal.displayName },
        actor,
      ),
    );
    return preferenceView(principal.userId);
  });

  app.get('/api/notifications/vapid-public-key', { ...publicRoute() }, async () => ({
    publicKey: deps.vapidPublicKey,
  }));

  app.post('/api/notifications/push-subscriptions', { ...authenticatedRoute() }, async (request, reply) => {
    const principal = principalOf(request);
    const body = parseOrThrow(subscriptionBody, request.body);
    const problem = pushEndpointProblem(body.endpoint, deps.allowPrivatePushEndpoints);
    if (problem !== null)
      throw AppError.invalid('Invalid push subscription', [{ field: 'endpoint', message: problem }]);
    const p256dh = Buffer.from(body.keys.p256dh, 'base64url');
    const auth = Buffer.from(body.keys.auth, 'base64url');
    // RFC 8291 section 3: an uncompressed P-256 point (65 bytes) and a 16-byte auth secret.
    if (p256dh.length !== 65 || p256dh[0] !== 4 || auth.length !== 16)
      throw AppError.invalid('Invalid push subscription', [
        { field: 'keys', message: 'must hold a P-256 public key and a 16-byte auth secret' },
      ]);
    const actor = actorOf(request);
    const row = await preferences.addPushSubscription(
      principal.userId,
      {
        endpoint: body.endpoint,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
        userAgent: request.headers['user-agent'],
      },
      actor,
    );
    await deps.db.transaction((tx) =>
      preferences.upsertContact(
        tx,
        principal.userId,
        { email: principal.email, displayName: principal.displayName },
        actor,
      ),
    );
    return reply.code(201).send({ id: row.id });
  });

  app.post(
    '/api/notifications/push-subscriptions/remove',
    { ...authenticatedRoute() },
    async (request, reply) => {
      const body = parseOrThrow(removeBody, request.body);
      const removed = await preferences.removePushSubscription(
        principalOf(request).userId,
        body.endpoint,
        actorOf(request),
      );
      if (!removed) throw AppError.notFound('Push subscription');
      return reply.code(204).send();
    },
  );

  const target = (request: FastifyRequest) => {
    const { token } = parseOrThrow(tokenQuery, request.query);
    const found = verifyUnsubscribe(deps.unsubscribeSecret, token);
    if (found === null)
      throw AppError.precondition('This unsubscribe link is invalid or damaged', 'unsubscribe_token_invalid');
    return found;
  };

  // Reading a link changes nothing: mail scanners fetch links, only the POST unsubscribes.
  app.get('/api/notifications/unsubscribe', { ...publicRoute() }, async (request, reply) => {
    const found = target(request);
    void reply.header('cache-control', 'no-store');
    return { kind: found.kind, label: KIND_POLICY[found.kind].label };
  });

  app.post('/api/notifications/unsubscribe', { ...publicRoute() }, async (request, reply) => {
    const found = target(request);
    await preferences.unsubscribe(found, { id: found.userId ?? 'anonymous', requestId: request.id });
    void reply.header('cache-control', 'no-store');
    return { unsubscribed: true, kind: found.kind, label: KIND_POLICY[found.kind].label };
  });

  app.get('/api/admin/outbox', { ...requirePermission('platform:admin') }, async (request, reply) => {
    const query = parseOrThrow(pageQuery, request.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await deps.db
      .select()
      .from(deliveries)
      .where(
        after === undefined
          ? undefined
          : or(
              lt(deliveries.createdAt, after.createdAt),
              and(eq(deliveries.createdAt, after.createdAt), lt(deliveries.id, after.id)),
            ),
      )
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(query.limit + 1);
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    void reply.header('cache-control', 'no-store');
    return {
      items: items.map(outboxView),
      nextCursor:
        rows.length > query.limit && last !== undefined
          ? encodeCursor([last.createdAt.toISOString(), last.id])
          : null,
    };
  });
}
