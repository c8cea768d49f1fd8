// The names roles find each other by, written once. In single-machine mode roles publish what they bound
// in the AddressBook under these names; with REDIS_URL the SFU role also registers each worker in the
// shared store under SFU_WORKER_KEY_PREFIX, where signaling nodes on other machines find it.
import type { BusKv } from './bus/types.js';

/** AddressBook entries, one per thing a role serves. `sfu.workers` is a comma-separated list. */
export const ADDRESS = {
  authHttp: 'auth.http',
  controlHttp: 'control.http',
  controlGrpc: 'control.grpc',
  notificationHttp: 'notification.http',
  notificationGrpc: 'notification.grpc',
  chatHttp: 'chat.http',
  chatGrpc: 'chat.grpc',
  recordingHttp: 'recording.http',
  billingHttp: 'billing.http',
  billingGrpc: 'billing.grpc',
  gatewayHttp: 'gateway.http',
  signalingWs: 'signaling.ws',
  signalingHttp: 'signaling.http',
  sfuWorkers: 'sfu.workers',
} as const;

export type AddressName = (typeof ADDRESS)[keyof typeof ADDRESS];

/** Key prefix of SFU worker registrations in the shared store: `sfu:worker:<workerId>`. */
export const SFU_WORKER_KEY_PREFIX = 'sfu:worker:';

/** What an SFU worker registers in the shared store. */
export interface SfuWorkerRegistration {
  workerId: string;
  nodeId: string;
  grpcAddress: string;
  httpUrl: string;
}

/** Reads a registration written by another node; null for anything that is not one (never throws). */
export function parseSfuWorkerRegistration(raw: string): SfuWorkerRegistration | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const fields = ['workerId', 'nodeId', 'grpcAddress', 'httpUrl'] as const;
  if (!fields.every((f) => typeof v[f] === 'string' && v[f] !== '')) return null;
  return {
    workerId: v.workerId as string,
    nodeId: v.nodeId as string,
    grpcAddress: v.grpcAddress as string,
    httpUrl: v.httpUrl as string,
  };
}

/**
 * The gRPC addresses of every SFU worker a role can reach: configured ones (SFU_ADDRESSES), those the SFU
 * role published in this process's AddressBook, and with Redis those registered in the shared store.
 */
export async function sfuWorkerAddresses(sources: {
  configured: readonly string[];
  addresses: { get(name: AddressName): string | undefined };
  busKv: Pick<BusKv, 'kind' | 'kv'>;
}): Promise<string[]> {
  const fromBook = (sources.addresses.get(ADDRESS.sfuWorkers) ?? '').split(',');
  let fromRegistry: string[] = [];
  if (sources.busKv.kind === 'redis') {
    const kv = sources.busKv.kv;
    const keys = await kv.scanPrefix(SFU_WORKER_KEY_PREFIX);
    const values = await Promise.all(keys.map((k) => kv.get(k)));
    fromRegistry = values.flatMap((v) => {
      const reg = v === null ? null : parseSfuWorkerRegistration(v);
      return reg ? [reg.grpcAddress] : [];
    });
  }
  return [
    ...new Set(
      [...sources.configured, ...fromBook, ...fromRegistry].map((a) => a.trim()).filter((a) => a.length > 0),
    ),
  ];
}
