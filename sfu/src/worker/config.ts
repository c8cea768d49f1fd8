import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { env } from '@origo/kit';
import { z } from 'zod';
import type { NdcTransportOptions, RouterOptions, WeriftTransportOptions } from '../media/index.js';

/** Variables of the SFU role and of each worker process (the role passes them on to its children). */
export const sfuConfigSchema = z.object({
  /** Worker processes; default one per core; 0 runs one worker inside the role's process (tests). */
  SFU_WORKERS: env.int(-1, -1, 256),
  /** Interface the workers' gRPC and HTTP listeners bind to. */
  SFU_HOST: z.string().default('127.0.0.1'),
  /** Host put into the advertised gRPC addresses (a pod IP when SFU_HOST is 0.0.0.0). */
  SFU_ADVERTISE_HOST: z.string().optional(),
  /** First gRPC port; worker i listens on base + i. 0 picks free ports. */
  SFU_GRPC_PORT: env.port(0),
  /** First HTTP (health, metrics) port; worker i listens on base + i. 0 picks free ports. */
  SFU_HTTP_PORT: env.port(0),
  /** Id of this SFU node in GetLoad and the worker registry. */
  SFU_NODE_ID: z.string().min(1).max(128).default(hostname()),
  /** UDP port range for ICE, `40000-40999`; any port when unset. */
  SFU_ICE_PORT_RANGE: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, 'must look like 40000-40999')
    .transform((value) => value.split('-').map(Number) as [number, number])
    .refine(([a, b]) => a > 0 && a <= b && b <= 65535, 'must be an ascending range of ports')
    .optional(),
  /**
   * Addresses put into the SFU's ICE candidates instead of (or besides) the interfaces it finds: the public
   * IP behind NAT, the node's external IP on Kubernetes. Comma-separated IPs; empty means the local interfaces.
   */
  SFU_ANNOUNCED_ADDRESSES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a.length > 0),
    )
    .refine((list) => list.every((a) => isIP(a) !== 0), 'must be a comma-separated list of IP addresses'),
  /** WebRTC stack under the forwarding stages: `ndc` (libdatachannel, the default) or `werift` (pure TypeScript). */
  SFU_TRANSPORT: z.enum(['werift', 'ndc']).default('ndc'),
  /** The one UDP port a worker uses for every peer (ICE UDP mux, `ndc` only); worker i uses base + i; 0 any. */
  SFU_UDP_PORT: env.port(0),
  /** TTL of a worker's registration in the shared store (REDIS_URL); refreshed at a third of it. */
  SFU_REGISTRY_TTL_MS: env.int(15_000, 1000),
});
export type SfuConfig = z.infer<typeof sfuConfigSchema>;

/** Worker id and ports the role hands to one child through its environment. */
export const workerChildSchema = z.object({
  SFU_WORKER_ID: z.string().min(1).max(128),
  SFU_WORKER_GRPC_PORT: env.port(0),
  SFU_WORKER_HTTP_PORT: env.port(0),
  /** This worker's ICE UDP port (SFU_UDP_PORT + worker index; 0 any). */
  SFU_WORKER_UDP_PORT: env.port(0),
});

/** The router options of the media core that come from configuration. */
export type MediaRouterOptions = Pick<RouterOptions, 'transport' | 'werift' | 'ndc'>;

/**
 * Media-core options every worker of this node gets from the configuration. `udpPort` is the
 * worker's own ICE port (the role hands worker i SFU_UDP_PORT + i); it defaults to the base.
 */
export function mediaOptionsFrom(
  config: SfuConfig,
  udpPort: number = config.SFU_UDP_PORT,
): { router: MediaRouterOptions } {
  const announced = config.SFU_ANNOUNCED_ADDRESSES;
  if (config.SFU_TRANSPORT === 'ndc') {
    const ndc: NdcTransportOptions = { udpPort };
    if (announced.length > 0) ndc.announcedAddresses = announced;
    return { router: { transport: 'ndc', ndc } };
  }
  const werift: WeriftTransportOptions = {
    ...(config.SFU_ICE_PORT_RANGE ? { icePortRange: config.SFU_ICE_PORT_RANGE } : {}),
    ...(announced.length > 0 ? { announcedAddresses: announced } : {}),
  };
  return {
    router: Object.keys(werift).length > 0 ? { transport: 'werift', werift } : { transport: 'werift' },
  };
}
