// The `signaling` role: the uWebSockets.js tier on SIGNALING_PORT, verifying join tokens with the public
// keys control serves (JOIN_TOKEN_JWKS_URL, or control's address on one machine), placing rooms on the SFU workers it finds in
// SFU_ADDRESSES, the AddressBook (`sfu.workers`, single machine) and the shared registry (REDIS_URL).
import {
  createLogger,
  loadConfig,
  PLATFORM_SECRETS,
  ConfigError,
  type RoleContext,
  type RoleDefinition,
  type RunningRole,
  ADDRESS,
  sfuWorkerAddresses,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { signalingConfigSchema } from './config.js';
import { createSignalingService } from './service.js';
import { grpcRoomEventReporter } from './reporter.js';
import { grpcChatBackend } from './chatBackend.js';
import type { SfuDirectory } from './sfu.js';
import { jwksReadiness, remoteKeySource } from './token.js';
import { JOIN_TOKEN_JWKS_PATH } from '@origo/control/contracts';

export const signalingRole: RoleDefinition = {
  name: 'signaling',
  description: 'WebSocket signaling tier (uWebSockets.js): join tokens, rooms, SDP/ICE relay to the SFU',
  async start(ctx: RoleContext): Promise<RunningRole> {
    const config = loadConfig(signalingConfigSchema, ctx.env);
    const logger = createLogger({ service: 'signaling', level: ctx.common.LOG_LEVEL });
    const busKv = await createBusKv({ redisUrl: ctx.common.REDIS_URL, logger });
    try {
      const jwksUrl = joinTokenJwksUrl(config.JOIN_TOKEN_JWKS_URL, ctx);
      const keys = remoteKeySource(jwksUrl);
      const keysReady = jwksReadiness(jwksUrl);
      const turnSecret =
        config.TURN_URLS.length > 0 ? await ctx.secrets.get(PLATFORM_SECRETS.turnSecret) : undefined;
      const directory: SfuDirectory = () =>
        sfuWorkerAddresses({ configured: config.SFU_ADDRESSES, addresses: ctx.addresses, busKv });
      if (ctx.allInOne && config.SFU_ADDRESSES.length === 0 && busKv.kind === 'memory') {
        // One machine: wait for the SFU role to publish its workers before taking joins.
        await ctx.addresses.wait(ADDRESS.sfuWorkers, 60_000);
      }
      const reporter = grpcRoomEventReporter(
        () => config.CONTROL_GRPC_ADDRESS ?? ctx.addresses.get(ADDRESS.controlGrpc),
        logger,
      );
      const chat = grpcChatBackend(() => config.CHAT_GRPC_ADDRESS ?? ctx.addresses.get(ADDRESS.chatGrpc));
      const service = createSignalingService({
        config,
        logger,
        busKv,
        keys,
        keysReady,
        sfuDirectory: directory,
        turnSecret,
        reporter,
        chat,
      });
      const { url, wsUrl } = await service.listen(config.SIGNALING_PORT ?? (ctx.allInOne ? 0 : 7880));
      ctx.addresses.set(ADDRESS.signalingWs, wsUrl);
      ctx.addresses.set(ADDRESS.signalingHttp, url);
      // Said at start, not at the first refused join: a node without the keys refuses every join.
      void keysReady().then((state) => {
        if (state !== 'ok') logger.warn({ reason: state }, 'join tokens cannot be verified yet; not ready');
      });
      let stopped: Promise<void> | undefined;
      return {
        name: 'signaling',
        endpoints: { ws: wsUrl, http: url, metrics: `${url}/metrics` },
        drain: () => service.drain(),
        stop() {
          stopped ??= service.close().finally(async () => {
            reporter.close();
            chat.close();
            await busKv.close();
          });
          return stopped;
        },
      };
    } catch (err) {
      await busKv.close();
      throw err;
    }
  },
};

/**
 * Where control publishes the join-token public keys: JOIN_TOKEN_JWKS_URL, or on one machine control's
 * own address (known once it listens). Signaling never reads the private key.
 */
function joinTokenJwksUrl(
  configured: string | undefined,
  ctx: RoleContext,
): string | (() => Promise<string>) {
  if (configured !== undefined) return configured;
  if (!ctx.allInOne) {
    throw new ConfigError(
      'JOIN_TOKEN_JWKS_URL',
      `is required when signaling runs without control in its process: control's http://<host>:<port>${JOIN_TOKEN_JWKS_PATH}`,
    );
  }
  return async () => `${await ctx.addresses.wait(ADDRESS.controlHttp, 60_000)}${JOIN_TOKEN_JWKS_PATH}`;
}
