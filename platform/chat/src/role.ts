import { join } from 'node:path';
import { ADDRESS, Held, roleBasics, serviceUrl, type RoleDefinition } from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { createRemoteMeetingAccess } from '@origo/control/meeting-access';
import { chatConfigSchema, limitsFromEnv } from './config.js';
import { createChatService, openChatDatabase } from './service.js';

/**
 * The chat role: the ChatService gRPC API for signaling (messages, edits, deletes, history, raised
 * hands) and REST history behind the gateway under /api/chat. Publishes `chat.http` and `chat.grpc`.
 */
export const chatRole: RoleDefinition = {
  name: 'chat',
  description: 'In-meeting chat: ordered messages, history, edit and delete, raised hands',
  async start(ctx) {
    const { config, common, logger, metrics } = roleBasics(ctx, 'chat', chatConfigSchema);
    const authUrl = serviceUrl(ctx, 'AUTH_URL', config.AUTH_URL, ADDRESS.authHttp);
    const controlUrl = serviceUrl(ctx, 'CONTROL_URL', config.CONTROL_URL, ADDRESS.controlHttp);
    const held = new Held();
    const { service, bound } = await held.during(async () => {
      const database = held.add(
        await openChatDatabase({
          databaseUrl: common.DATABASE_URL,
          dataDir: join(common.ORIGO_DATA, 'chat'),
          logger,
        }),
        (d) => d.close(),
      );
      // Edits and deletes made over REST reach the room through the bus (REDIS_URL, else in memory); auth
      // announces ended sessions there, whose tokens are refused at once.
      const busKv = held.add(await createBusKv({ redisUrl: common.REDIS_URL, logger }), (b) => b.close());
      const { resolveCaller } = held.add(
        await createRemoteMeetingAccess({
          authUrl,
          controlUrl,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          publicUrl: config.ORIGO_PUBLIC_URL,
          joinTokenJwksUrl: config.JOIN_TOKEN_JWKS_URL,
          bus: busKv.bus,
          logger,
        }),
        (a) => a.close(),
      );
      const service = held.add(
        await createChatService({
          database,
          bus: busKv.bus,
          resolveCaller,
          limits: limitsFromEnv(config),
          logger,
          metrics,
        }),
        (s) => s.close(),
      );
      const host = config.CHAT_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
      const bound = await service.listen({
        host,
        httpPort: config.CHAT_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080),
        grpcPort: config.CHAT_GRPC_PORT ?? (ctx.allInOne ? 0 : 9090),
      });
      return { service, bound };
    });
    ctx.addresses.set(ADDRESS.chatHttp, bound.http);
    ctx.addresses.set(ADDRESS.chatGrpc, bound.grpc);
    logger.info({ http: bound.http, grpc: bound.grpcListen }, 'chat listening');

    return {
      name: 'chat',
      endpoints: { http: bound.http, grpc: bound.grpcListen },
      drain: () => service.setDraining(),
      // The service first, then what it used, newest first.
      stop: () => held.releaseAll(),
    };
  },
};
