import {
  createLogger,
  createMetrics,
  loadConfig,
  PLATFORM_SECRETS,
  OPTIONAL_PLATFORM_SECRETS,
  commonConfigSchema,
  type RoleDefinition,
  ADDRESS,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { join } from 'node:path';
import { createRemotePrincipalResolver } from './access.js';
import { createGrpcBillingQuota } from './billing.js';
import { controlConfigSchema, settingsFromEnv } from './config.js';
import { authMemberDirectory } from './directory.js';
import { createControlService, openControlDatabase } from './service.js';

/**
 * The control role: meetings REST (behind the gateway) and the ControlService gRPC API for signaling.
 * Publishes `control.http` and `control.grpc` in the AddressBook.
 */
export const controlRole: RoleDefinition = {
  name: 'control',
  description: 'Meetings, invitations, lobby, host controls, join tokens and the audit log',
  async start(ctx) {
    const config = loadConfig(controlConfigSchema, ctx.env);
    const common = loadConfig(commonConfigSchema, ctx.env);
    const settings = settingsFromEnv(config);
    const logger = createLogger({ service: 'control', level: common.LOG_LEVEL });
    const metrics = createMetrics('control');

    const authUrl = async (): Promise<string> => {
      if (config.AUTH_URL !== undefined) return config.AUTH_URL;
      if (ctx.allInOne) return ctx.addresses.wait(ADDRESS.authHttp);
      throw new Error('Invalid configuration: AUTH_URL is required but not set');
    };
    if (!ctx.allInOne && config.AUTH_URL === undefined)
      throw new Error('Invalid configuration: AUTH_URL is required but not set');
    // Control refuses the tokens of ended sessions itself (createControlService subscribes on the bus).
    const resolvePrincipal = createRemotePrincipalResolver({
      authUrl,
      issuer: config.AUTH_JWT_ISSUER,
      audience: config.AUTH_JWT_AUDIENCE,
      publicUrl: settings.publicUrl,
    });

    const database = await openControlDatabase({
      databaseUrl: common.DATABASE_URL,
      dataDir: join(common.ORIGO_DATA, 'control'),
      logger,
    });
    const busKv = await createBusKv({ redisUrl: common.REDIS_URL, logger }).catch(async (err: unknown) => {
      await database.close();
      throw err;
    });
    const joinTokenKey = await ctx.secrets.get(PLATFORM_SECRETS.joinTokenKey);
    const joinTokenKeyPrevious = await ctx.secrets.find(OPTIONAL_PLATFORM_SECRETS.joinTokenKeyPrevious);
    const billingTarget =
      config.BILLING_GRPC_ADDRESS !== undefined
        ? async () => config.BILLING_GRPC_ADDRESS as string
        : ctx.allInOne
          ? () => ctx.addresses.wait(ADDRESS.billingGrpc)
          : undefined;
    if (billingTarget === undefined)
      logger.warn('BILLING_GRPC_ADDRESS is not set: plan limits are not enforced, only meeting caps');
    const service = await createControlService({
      ...(billingTarget === undefined
        ? {}
        : { billing: createGrpcBillingQuota({ target: billingTarget, logger }) }),
      database,
      busKv,
      joinTokenKey,
      ...(joinTokenKeyPrevious === undefined ? {} : { joinTokenKeyPrevious }),
      resolvePrincipal,
      memberDirectory: authMemberDirectory(authUrl),
      settings,
      logger,
      metrics,
      notificationTarget:
        config.NOTIFICATION_GRPC_ADDRESS !== undefined
          ? async () => config.NOTIFICATION_GRPC_ADDRESS as string
          : ctx.allInOne
            ? () => ctx.addresses.wait(ADDRESS.notificationGrpc)
            : undefined,
    });
    if (config.NOTIFICATION_GRPC_ADDRESS === undefined && !ctx.allInOne)
      logger.warn(
        'NOTIFICATION_GRPC_ADDRESS is not set: invitation mails and reminders wait in the relay table',
      );
    const host = config.CONTROL_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
    const bound = await service.listen({
      host,
      httpPort: config.CONTROL_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080),
      grpcPort: config.CONTROL_GRPC_PORT ?? (ctx.allInOne ? 0 : 9090),
    });
    ctx.addresses.set(ADDRESS.controlHttp, bound.http);
    ctx.addresses.set(ADDRESS.controlGrpc, bound.grpc);
    logger.info({ http: bound.http, grpc: bound.grpc }, 'control listening');

    let stopping: Promise<void> | undefined;
    return {
      name: 'control',
      endpoints: { http: bound.http, grpc: bound.grpc },
      drain: () => service.setDraining(),
      stop() {
        stopping ??= (async () => {
          await service.close();
          await busKv.close();
          await database.close();
        })();
        return stopping;
      },
    };
  },
};
