import { join } from 'node:path';
import {
  ADDRESS,
  Held,
  OPTIONAL_PLATFORM_SECRETS,
  optionalServiceUrl,
  PLATFORM_SECRETS,
  roleBasics,
  serviceUrl,
  type RoleDefinition,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
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
    const { config, common, logger, metrics } = roleBasics(ctx, 'control', controlConfigSchema);
    const settings = settingsFromEnv(config);
    const authUrl = serviceUrl(ctx, 'AUTH_URL', config.AUTH_URL, ADDRESS.authHttp);
    // Control refuses the tokens of ended sessions itself (createControlService subscribes on the bus).
    const resolvePrincipal = createRemotePrincipalResolver({
      authUrl,
      issuer: config.AUTH_JWT_ISSUER,
      audience: config.AUTH_JWT_AUDIENCE,
      publicUrl: settings.publicUrl,
    });

    const joinTokenKey = await ctx.secrets.get(PLATFORM_SECRETS.joinTokenKey);
    const joinTokenKeyPrevious = await ctx.secrets.find(OPTIONAL_PLATFORM_SECRETS.joinTokenKeyPrevious);
    const billingTarget = optionalServiceUrl(ctx, config.BILLING_GRPC_ADDRESS, ADDRESS.billingGrpc);
    if (billingTarget === undefined)
      logger.warn('BILLING_GRPC_ADDRESS is not set: plan limits are not enforced, only meeting caps');
    const notificationTarget = optionalServiceUrl(
      ctx,
      config.NOTIFICATION_GRPC_ADDRESS,
      ADDRESS.notificationGrpc,
    );
    if (notificationTarget === undefined)
      logger.warn(
        'NOTIFICATION_GRPC_ADDRESS is not set: invitation mails and reminders wait in the relay table',
      );

    const held = new Held();
    const { service, bound } = await held.during(async () => {
      const database = held.add(
        await openControlDatabase({
          databaseUrl: common.DATABASE_URL,
          dataDir: join(common.ORIGO_DATA, 'control'),
          logger,
        }),
        (d) => d.close(),
      );
      const busKv = held.add(await createBusKv({ redisUrl: common.REDIS_URL, logger }), (b) => b.close());
      const service = held.add(
        await createControlService({
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
          notificationTarget,
        }),
        (s) => s.close(),
      );
      const host = config.CONTROL_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
      const bound = await service.listen({
        host,
        httpPort: config.CONTROL_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080),
        grpcPort: config.CONTROL_GRPC_PORT ?? (ctx.allInOne ? 0 : 9090),
      });
      return { service, bound };
    });
    ctx.addresses.set(ADDRESS.controlHttp, bound.http);
    ctx.addresses.set(ADDRESS.controlGrpc, bound.grpc);
    // What the server is bound to (every interface in a pod), not the loopback address this process dials.
    logger.info({ http: bound.http, grpc: bound.grpcListen }, 'control listening');

    return {
      name: 'control',
      endpoints: { http: bound.http, grpc: bound.grpcListen },
      drain: () => service.setDraining(),
      // The service first, then what it used, newest first.
      stop: () => held.releaseAll(),
    };
  },
};
