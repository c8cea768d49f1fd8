import { join } from 'node:path';
import {
  ADDRESS,
  Held,
  optionalServiceUrl,
  randomSecret,
  roleBasics,
  type RoleDefinition,
  type SecretSpec,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { authConfigSchema, settingsFromEnv } from './config.js';
import { createAuthService, openAuthDatabase } from './service.js';

/** Encrypts the private JWT signing keys stored in the database. */
export const AUTH_KEK_SECRET: SecretSpec = {
  name: 'auth-kek',
  env: 'ORIGO_AUTH_KEK',
  generate: () => randomSecret(32),
};

const HOUSEKEEPING_MS = 3_600_000;

/**
 * `origo start --role=auth` (or one of the roles of `origo start`). Publishes `auth.http` in the address
 * book; the JWKS is at `<auth.http>/.well-known/jwks.json`.
 */
export const authRole: RoleDefinition = {
  name: 'auth',
  description: 'Accounts, sessions, OIDC sign-in, organizations and RBAC, access tokens and JWKS',
  async start(ctx) {
    const { config, common, logger, metrics } = roleBasics(ctx, 'auth', authConfigSchema);
    const settings = settingsFromEnv(config);
    const notificationTarget = optionalServiceUrl(
      ctx,
      config.NOTIFICATION_GRPC_ADDRESS,
      ADDRESS.notificationGrpc,
    );
    if (notificationTarget === undefined)
      logger.warn(
        'NOTIFICATION_GRPC_ADDRESS is not set: password-reset and verification mails wait in the relay table',
      );
    const held = new Held();
    const { service, url } = await held.during(async () => {
      const database = held.add(
        await openAuthDatabase({
          databaseUrl: common.DATABASE_URL,
          dataDir: join(common.ORIGO_DATA, 'auth'),
          logger,
        }),
        (d) => d.close(),
      );
      const busKv = held.add(await createBusKv({ redisUrl: common.REDIS_URL, logger }), (b) => b.close());
      const service = held.add(
        await createAuthService({
          database,
          kv: busKv.kv,
          bus: busKv.bus,
          keyEncryptionKey: await ctx.secrets.get(AUTH_KEK_SECRET),
          settings,
          logger,
          metrics,
          notificationTarget,
          // In single-machine mode only the gateway reaches auth, over loopback.
          trustProxy:
            config.AUTH_TRUST_PROXY === undefined
              ? ctx.allInOne
              : ['true', '1', 'yes'].includes(config.AUTH_TRUST_PROXY),
        }),
        (s) => s.close(),
      );
      const host = config.AUTH_HTTP_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
      const { url } = await service.listen(config.AUTH_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080), host);
      return { service, url };
    });
    ctx.addresses.set(ADDRESS.authHttp, url);

    const housekeeping = async () => {
      try {
        await service.keys.retireExpired();
        const age = await service.keys.activeKeyAgeMs();
        if (settings.keyMaxAgeDays > 0 && age !== null && age > settings.keyMaxAgeDays * 86_400_000) {
          const { kid } = await service.rotateSigningKey();
          logger.info({ kid }, 'rotated the JWT signing key (maximum age reached)');
        }
      } catch (err) {
        logger.error({ err }, 'signing key housekeeping failed');
      }
    };
    await housekeeping();
    held.add(setInterval(() => void housekeeping(), HOUSEKEEPING_MS).unref(), (t) => clearInterval(t));

    return {
      name: 'auth',
      endpoints: { http: url },
      drain: () => service.http.setDraining(),
      // The housekeeping timer, the service, then what it used.
      stop: () => held.releaseAll(),
    };
  },
};
