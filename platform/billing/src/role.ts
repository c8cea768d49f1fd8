import { join } from 'node:path';
import { ADDRESS, Held, roleBasics, serviceUrl, type RoleDefinition } from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { createRemoteAccess } from '@origo/control/access';
import { billingConfigSchema, invoicingFromConfig } from './config.js';
import { createHttpOrganizations } from './organizations.js';
import { createBillingService, openBillingDatabase } from './service.js';

/**
 * The billing role: plans, subscriptions and usage over REST behind the gateway under /api/billing, the
 * BillingService gRPC API control asks at join time, and metering of the room events control publishes on
 * the bus. Publishes `billing.http` and `billing.grpc`.
 */
export const billingRole: RoleDefinition = {
  name: 'billing',
  description: 'Plans and quotas, usage metering per organization and day',
  async start(ctx) {
    const { config, common, logger, metrics } = roleBasics(ctx, 'billing', billingConfigSchema);
    const authUrl = serviceUrl(ctx, 'AUTH_URL', config.AUTH_URL, ADDRESS.authHttp);
    const held = new Held();
    const { service, bound } = await held.during(async () => {
      const database = held.add(
        await openBillingDatabase({
          databaseUrl: common.DATABASE_URL,
          dataDir: join(common.ORIGO_DATA, 'billing'),
          logger,
        }),
        (d) => d.close(),
      );
      const busKv = held.add(await createBusKv({ redisUrl: common.REDIS_URL, logger }), (b) => b.close());
      // Tokens of sessions auth ended (sign-out) are refused at once, not when they expire.
      const access = held.add(
        await createRemoteAccess({
          authUrl,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          publicUrl: config.ORIGO_PUBLIC_URL,
          bus: busKv.bus,
          logger,
        }),
        (a) => a.close(),
      );
      const service = held.add(
        await createBillingService({
          database,
          bus: busKv.bus,
          resolvePrincipal: access.resolvePrincipal,
          organizations: createHttpOrganizations({ authUrl }),
          logger,
          metrics,
          invoicing: invoicingFromConfig(config),
        }),
        (s) => s.close(),
      );
      const host = config.BILLING_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
      const bound = await service.listen({
        host,
        httpPort: config.BILLING_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080),
        grpcPort: config.BILLING_GRPC_PORT ?? (ctx.allInOne ? 0 : 9090),
      });
      return { service, bound };
    });
    ctx.addresses.set(ADDRESS.billingHttp, bound.http);
    ctx.addresses.set(ADDRESS.billingGrpc, bound.grpc);
    logger.info({ http: bound.http, grpc: bound.grpcListen }, 'billing listening');

    return {
      name: 'billing',
      endpoints: { http: bound.http, grpc: bound.grpcListen },
      drain: () => service.setDraining(),
      // The service first, then what it used, newest first.
      stop: () => held.releaseAll(),
    };
  },
};
