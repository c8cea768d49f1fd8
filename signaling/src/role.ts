// The `signaling` role: the uWebSockets.js tier on SIGNALING_PORT, verifying join tokens with the
// kit's join-token key (or JOIN_TOKEN_JWKS_URL), placing rooms on the SFU workers it finds in
// SFU_ADDRESSES, the AddressBook (`sfu.workers`, single machine) and the shared registry (REDIS_URL).
import {
  createLogger,
  loadConfig,
  PLATFORM_SECRETS,
  type RoleContext,
  type RoleDefinition,
  type RunningRole,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { signalingConfigSchema } from './config.js';
import { createSignalingService } from './service.js';
import { grpcRoomEventReporter } from './reporter.js';
import type { SfuDirectory } from './sfu.js';
import { localKeySource, remoteKeySource } from './token.js';

/** AddressBook entry the SFU role publishes (comma-separated gRPC addresses). */
const SFU_WORKERS_ADDRESS = 'sfu.workers';
/** Registry keys the SFU role writes when REDIS_URL is set. */
const SFU_WORKER_KEY_PREFIX = 'sfu:worker:';

export const signalingRole: RoleDefinition = {
  name: 'signaling',
  description: 'WebSocket signaling tier (uWebSockets.js): join tokens, rooms, SDP/ICE relay to the SFU',
  async start(ctx: RoleContext): Promise<RunningRole> {
    const config = loadConfig(signalingConfigSchema, ctx.env);
    const logger = createLogger({ service: 'signaling', level: ctx.common.LOG_LEVEL });
    const busKv = await createBusKv({ redisUrl: ctx.common.REDIS_URL, logger });
    try {
      const keys = config.JOIN_TOKEN_JWKS_URL
        ? remoteKeySource(config.JOIN_TOKEN_JWKS_URL)
        : localKeySource(await ctx.secrets.get(PLATFORM_SECRETS.joinTokenKey));
      const turnSecret =
        config.TURN_URLS.length > 0 ? await ctx.secrets.get(PLATFORM_SECRETS.turnSecret) : undefined;
      const directory: SfuDirectory = async () => {
        const fromBook = (ctx.addresses.get(SFU_WORKERS_ADDRESS) ?? '').split(',');
        let fromRegistry: string[] = [];
        if (busKv.kind === 'redis') {
          const keys = await busKv.kv.scanPrefix(SFU_WORKER_KEY_PREFIX);
          const values = await Promise.all(keys.map((k) => busKv.kv.get(k)));
          fromRegistry = values.flatMap((v) => {
            if (v === null) return [];
            try {
              const reg = JSON.parse(v) as { grpcAddress?: unknown };
              return typeof reg.grpcAddress === 'string' ? [reg.grpcAddress] : [];
            } catch {
              return [];
            }
          });
        }
        return [
          ...new Set(
            [...config.SFU_ADDRESSES, ...fromBook, ...fromRegistry]
              .map((a) => a.trim())
              .filter((a) => a.length > 0),
          ),
        ];
      };
      if (ctx.allInOne && config.SFU_ADDRESSES.length === 0 && busKv.kind === 'memory') {
        // One machine: wait for the SFU role to publish its workers before taking joins.
        await ctx.addresses.wait(SFU_WORKERS_ADDRESS, 60_000);
      }
      const reporter = grpcRoomEventReporter(
        () => config.CONTROL_GRPC_ADDRESS ?? ctx.addresses.get('control.grpc'),
        logger,
      );
      const service = createSignalingService({
        config,
        logger,
        busKv,
        keys,
        sfuDirectory: directory,
        turnSecret,
        reporter,
      });
      const { url, wsUrl } = await service.listen();
      ctx.addresses.set('signaling.ws', wsUrl);
      ctx.addresses.set('signaling.http', url);
      let stopped: Promise<void> | undefined;
      return {
        name: 'signaling',
        endpoints: { ws: wsUrl, http: url, metrics: `${url}/metrics` },
        drain: () => service.drain(),
        stop() {
          stopped ??= service.close().finally(async () => {
            reporter.close();
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
