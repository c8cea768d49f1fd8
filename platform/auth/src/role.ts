import { join } from 'node:path';
import {
  createLogger,
  createMetrics,
  loadConfig,
  randomSecret,
  type RoleDefinition,
  type SecretSpec,
  ADDRESS,
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
    const config = loadConfig(authConfigSchema, ctx.env);
    const settings = settingsFromEnv(config);
    const logger = createLogger({ service: 'auth', level: ctx.common.LOG_LEVEL });
    const database = await openAuthDatabase({
      databaseUrl: ctx.common.DATABASE_URL,
      dataDir: join(ctx.common.ORIGO_DATA, 'auth'),
      logger,
    });
    const busKv = await createBusKv({ redisUrl: ctx.common.REDIS_URL, logger }).catch(
      async (err: unknown) => {
        await database.close();
        throw err;
      },
    );
    let service: Awaited<ReturnType<typeof createAuthService>>;
    try {
      service = await createAuthService({
        database,
        kv: busKv.kv,
        bus: busKv.bus,
        keyEncryptionKey: await ctx.secrets.get(AUTH_KEK_SECRET),
        settings,
        logger,
        metrics: createMetrics('auth'),
        notificationTarget:
          config.NOTIFICATION_GRPC_ADDRESS !== undefined
            ? async () => config.NOTIFICATION_GRPC_ADDRESS as string
            : ctx.allInOne
              ? () => ctx.addresses.wait(ADDRESS.notificationGrpc)
              : undefined,
        // In single-machine mode only the gateway reaches auth, over loopback.
        trustProxy:
          config.AUTH_TRUST_PROXY === undefined
            ? ctx.allInOne
            : ['true', '1', 'yes'].includes(config.AUTH_TRUST_PROXY),
      });
    } catch (err) {
      await busKv.close();
      await database.close();
      throw err;
    }
    if (config.NOTIFICATION_GRPC_ADDRESS === undefined && !ctx.allInOne)
      logger.warn(
        'NOTIFICATION_GRPC_ADDRESS is not set: password-reset and verification mails wait in the relay table',
      );
    const host = config.AUTH_HTTP_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
    const { url } = await service.listen(config.AUTH_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080), host);
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
    const timer = setInterval(() => void housekeeping(), HOUSEKEEPING_MS);
    timer.unref();

    let stopping: Promise<void> | undefined;
    return {
      name: 'auth',
      endpoints: { http: url },
      drain: () => service.http.setDraining(),
      stop() {
        stopping ??= (async () => {
          clearInterval(timer);
          await service.close();
          await busKv.close();
          await database.close();
        })();
        return stopping;
      },
    };
  },
};
