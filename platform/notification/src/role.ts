import { join } from 'node:path';
import {
  ADDRESS,
  ConfigError,
  Held,
  randomSecret,
  roleBasics,
  serviceUrl,
  type RoleDefinition,
  type SecretSpec,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { createRemoteAccess } from '@origo/control/access';
import { generateVapidKeys, type VapidKeys } from './channels/push.js';
import { notificationConfigSchema, settingsFromEnv } from './config.js';
import { createNotificationService, openNotificationDatabase } from './service.js';

/** Signs one-click unsubscribe links. */
export const UNSUBSCRIBE_SECRET: SecretSpec = {
  name: 'notification-unsubscribe-key',
  env: 'ORIGO_NOTIFICATION_SECRET',
  generate: () => randomSecret(32),
};

/** The VAPID key pair when VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY are not set: generated once, kept. */
export const VAPID_SECRET: SecretSpec = {
  name: 'vapid-keys.json',
  env: 'ORIGO_VAPID_KEYS',
  generate: () => JSON.stringify(generateVapidKeys()),
};

function parseVapid(text: string): VapidKeys {
  try {
    const value = JSON.parse(text) as Partial<VapidKeys>;
    if (typeof value.publicKey === 'string' && typeof value.privateKey === 'string')
      return { publicKey: value.publicKey, privateKey: value.privateKey };
  } catch {
    // Reported below.
  }
  throw new ConfigError(
    'ORIGO_VAPID_KEYS',
    'is invalid: must be JSON {"publicKey":"...","privateKey":"..."}',
  );
}

/**
 * The notification role: REST (preferences, push subscriptions, unsubscribe, admin outbox) behind the
 * gateway and the NotificationService gRPC API for auth and control. Publishes `notification.http` and
 * `notification.grpc` in the AddressBook.
 */
export const notificationRole: RoleDefinition = {
  name: 'notification',
  description: 'E-mail, web push and SMS through a durable outbox; templates, preferences, reminders',
  async start(ctx) {
    const { config, common, logger, metrics } = roleBasics(ctx, 'notification', notificationConfigSchema);
    const settings = settingsFromEnv(config);
    const authUrl = serviceUrl(ctx, 'AUTH_URL', config.AUTH_URL, ADDRESS.authHttp);
    const vapid =
      config.VAPID_PUBLIC_KEY !== undefined && config.VAPID_PRIVATE_KEY !== undefined
        ? { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY }
        : parseVapid(await ctx.secrets.get(VAPID_SECRET));
    const unsubscribeSecret = await ctx.secrets.get(UNSUBSCRIBE_SECRET);

    const held = new Held();
    const { service, bound } = await held.during(async () => {
      const database = held.add(
        await openNotificationDatabase({
          databaseUrl: common.DATABASE_URL,
          dataDir: join(common.ORIGO_DATA, 'notification'),
          logger,
        }),
        (d) => d.close(),
      );
      // Tokens of sessions auth ended (sign-out) are refused at once, not when they expire: auth announces
      // ended sessions on the bus (REDIS_URL, else the in-process one).
      const busKv = held.add(await createBusKv({ redisUrl: common.REDIS_URL, logger }), (b) => b.close());
      const access = held.add(
        await createRemoteAccess({
          authUrl,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          publicUrl: settings.publicUrl,
          bus: busKv.bus,
          logger,
        }),
        (a) => a.close(),
      );
      const service = held.add(
        await createNotificationService({
          database,
          resolvePrincipal: access.resolvePrincipal,
          unsubscribeSecret,
          vapid,
          settings,
          logger,
          metrics,
        }),
        (s) => s.close(),
      );
      const host = config.NOTIFICATION_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
      const bound = await service.listen({
        host,
        httpPort: config.NOTIFICATION_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080),
        grpcPort: config.NOTIFICATION_GRPC_PORT ?? (ctx.allInOne ? 0 : 9090),
      });
      return { service, bound };
    });
    ctx.addresses.set(ADDRESS.notificationHttp, bound.http);
    ctx.addresses.set(ADDRESS.notificationGrpc, bound.grpc);
    logger.info(
      { http: bound.http, grpc: bound.grpcListen, channels: [...service.available] },
      settings.smtpUrl === null
        ? 'notification listening; e-mail goes to the local outbox (set SMTP_URL to send mail)'
        : 'notification listening',
    );

    return {
      name: 'notification',
      endpoints: { http: bound.http, grpc: bound.grpcListen },
      drain: () => service.setDraining(),
      // The service first, then what it used, newest first.
      stop: () => held.releaseAll(),
    };
  },
};
