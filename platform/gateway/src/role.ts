import {
  ADDRESS,
  ConfigError,
  roleBasics,
  sfuWorkerAddresses,
  type AddressName,
  type RoleDefinition,
} from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { gatewayConfigSchema } from './config.js';
import { createGateway, type UpstreamSource } from './gateway.js';
import { findClientDist } from './static.js';

const UPSTREAM_WAIT_MS = 30_000;

/**
 * The gateway role: the one HTTP entry (APIs, /ws, the web client). In one process the upstreams come
 * from the AddressBook (`auth.http`, `control.http`, `signaling.ws` or `signaling.http`,
 * `notification.http`, `chat.http`, `recording.http`, `billing.http`); otherwise AUTH_URL, CONTROL_URL, SIGNALING_URL, NOTIFICATION_URL, CHAT_URL, RECORDING_URL and BILLING_URL are required. Its endpoint `url` is the address to open.
 */
export const gatewayRole: RoleDefinition = {
  name: 'gateway',
  description: 'HTTP entry: routes /api to services, /ws to signaling, serves the web client',
  async start(ctx) {
    const { config, common, logger, metrics } = roleBasics(ctx, 'gateway', gatewayConfigSchema);

    const fromBook =
      (...names: AddressName[]): (() => Promise<string>) =>
      async () => {
        for (const name of names) {
          const known = ctx.addresses.get(name);
          if (known !== undefined) return known;
        }
        return Promise.any(names.map((name) => ctx.addresses.wait(name, UPSTREAM_WAIT_MS)));
      };
    const pick = (
      variable:
        | 'AUTH_URL'
        | 'CONTROL_URL'
        | 'SIGNALING_URL'
        | 'NOTIFICATION_URL'
        | 'CHAT_URL'
        | 'RECORDING_URL'
        | 'BILLING_URL',
      ...names: AddressName[]
    ): UpstreamSource => {
      const value = config[variable];
      if (value !== undefined) return value;
      if (ctx.allInOne) return fromBook(...names);
      throw new ConfigError(variable, 'is required but not set');
    };
    const upstreams = {
      auth: pick('AUTH_URL', ADDRESS.authHttp),
      control: pick('CONTROL_URL', ADDRESS.controlHttp),
      signaling: pick('SIGNALING_URL', ADDRESS.signalingWs, ADDRESS.signalingHttp),
      notification: pick('NOTIFICATION_URL', ADDRESS.notificationHttp),
      chat: pick('CHAT_URL', ADDRESS.chatHttp),
      recording: pick('RECORDING_URL', ADDRESS.recordingHttp),
      billing: pick('BILLING_URL', ADDRESS.billingHttp),
    };

    const busKv = await createBusKv({ redisUrl: common.REDIS_URL, logger });
    // The SFU workers as signaling finds them: configured, published in this process, or registered in Redis.
    const sfuWorkers = () =>
      sfuWorkerAddresses({ configured: config.SFU_ADDRESSES, addresses: ctx.addresses, busKv });
    const gateway = createGateway({
      upstreams,
      sfuWorkers,
      kv: busKv.kv,
      logger,
      metrics,
      settings: {
        corsOrigins: config.CORS_ORIGINS,
        rateLimitWindowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
        rateLimitPerIp: config.RATE_LIMIT_PER_IP,
        rateLimitPerUser: config.RATE_LIMIT_PER_USER,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        trustProxy: config.TRUST_PROXY,
        hsts: config.HSTS,
        clientDist: config.CLIENT_DIST ?? findClientDist(),
        upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
        wsMaxMessageBytes: config.WS_MAX_MESSAGE_BYTES,
        publicUrl: config.ORIGO_PUBLIC_URL ?? null,
      },
    });
    const host = config.HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
    let bound: { port: number; url: string };
    try {
      bound = await gateway.listen(config.PORT, host);
    } catch (err) {
      await busKv.close();
      throw err;
    }
    ctx.addresses.set(ADDRESS.gatewayHttp, bound.url);
    logger.info({ url: bound.url }, 'gateway listening');

    let stopping: Promise<void> | undefined;
    return {
      name: 'gateway',
      endpoints: { url: bound.url, http: bound.url },
      drain: () => gateway.setDraining(),
      stop() {
        stopping ??= (async () => {
          await gateway.close();
          await busKv.close();
        })();
        return stopping;
      },
    };
  },
};
