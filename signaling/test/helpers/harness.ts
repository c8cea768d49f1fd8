// Builds the real pieces for a test: an SFU worker (in-process, or the sfu role with forked workers),
// a join-token key, the shared store (memory, or Redis when given a URL) and signaling nodes on port 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddressBook,
  createGrpcClient,
  createLogger,
  generateEd25519Jwk,
  SecretStore,
  unary,
  type Logger,
  type RunningRole,
} from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { createSfuWorkerService, sfuRole, type SfuWorkerService } from '@origo/sfu';
import {
  createSignalingService,
  localKeySource,
  signalingConfig,
  signJoinToken,
  type ChatBackend,
  type JoinGrants,
  type RoomEventReporter,
  type SignalingConfig,
  type SignalingService,
} from '../../src/index.js';

export const logger = createLogger({ service: 'test', level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

export interface Sfu {
  addresses: () => string[];
  stop(): Promise<void>;
}

/** One SFU worker in this process. */
export async function inProcessSfu(id = 'test-w0'): Promise<Sfu & { service: SfuWorkerService }> {
  const service = createSfuWorkerService({ workerId: id, nodeId: 'test', logger });
  const { grpcAddress } = await service.listen();
  return { service, addresses: () => [grpcAddress], stop: () => service.stop(1000) };
}

/** The sfu role with forked worker processes (needs `npm run build -w @origo/sfu`). */
export async function forkedSfu(
  workers = 1,
  extraEnv: Record<string, string> = {},
): Promise<Sfu & { role: RunningRole; book: AddressBook }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'origo-sfu-'));
  const book = new AddressBook();
  const env = {
    SFU_WORKERS: String(workers),
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'warn',
    SFU_NODE_ID: 'forked',
    ...extraEnv,
  };
  const role = await sfuRole.start({
    common: { ORIGO_DATA: dataDir, LOG_LEVEL: 'silent' },
    env,
    allInOne: false,
    addresses: book,
    secrets: new SecretStore(dataDir, env),
    logger,
  });
  return {
    role,
    book,
    addresses: () => (book.get('sfu.workers') ?? '').split(',').filter((a) => a.length > 0),
    async stop() {
      await role.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One SFU worker's routers with their peers (GetStats). */
export async function routersOf(address: string) {
  const client = createGrpcClient(SfuServiceClient, address);
  try {
    return (await unary(client.getStats.bind(client), {}, { deadlineMs: 5000 })).routers;
  } finally {
    client.close();
  }
}

/**
 * Runs `wait`; when it fails, its error message adds what each SFU worker counts for each of its peers
 * (connection states, packets in and out), so a test that saw no media says whether the SFU sent any.
 */
export async function withSfuPeersOnFailure<T>(addresses: string[], wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const seen = await Promise.all(
      addresses.map((a) =>
        routersOf(a).then(
          (routers) => routers.flatMap((r) => r.peers),
          (e: unknown) => String(e),
        ),
      ),
    );
    const failure = new Error(`${(error as Error).message}; SFU workers' peers ${JSON.stringify(seen)}`);
    throw failure;
  }
}

export interface Stack {
  jwk: string;
  sfu: Sfu;
  nodes: Array<{ service: SignalingService; wsUrl: string; url: string; busKv: BusKv }>;
  token(
    identity: string,
    opts?: {
      room?: string;
      grants?: Partial<JoinGrants>;
      ttlSeconds?: number;
      name?: string;
      maxParticipants?: number;
    },
  ): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

/** SFU plus `nodes` signaling nodes sharing one store (memory namespace, or Redis at redisUrl). */
export async function startStack(
  options: {
    config?: Partial<SignalingConfig>;
    nodes?: number;
    redisUrl?: string;
    sfu?: Sfu;
    turnSecret?: string;
    reporter?: RoomEventReporter;
    /** The chat role every node talks to. */
    chat?: ChatBackend;
    /** Stands between each node and its store (a wrapper that can be made to fail). */
    wrapBusKv?: (inner: BusKv) => BusKv;
    logger?: Logger;
  } = {},
): Promise<Stack> {
  const jwk = generateEd25519Jwk();
  const sfu = options.sfu ?? (await inProcessSfu());
  const namespace = `t${process.pid}x${++counter}x${Date.now().toString(36)}:`;
  const nodes: Stack['nodes'] = [];
  for (let i = 0; i < (options.nodes ?? 1); i++) {
    const inner = await createBusKv({ redisUrl: options.redisUrl, namespace, logger });
    const busKv = options.wrapBusKv ? options.wrapBusKv(inner) : inner;
    const config = signalingConfig({
      SIGNALING_NODE_ID: `node-${i}-${namespace}`,
      ROOM_EMPTY_GRACE_MS: 300,
      SIGNAL_RESUME_GRACE_MS: 1500,
      ...options.config,
    });
    const service = createSignalingService({
      config,
      logger: options.logger ?? logger,
      busKv,
      keys: localKeySource(jwk),
      sfuDirectory: async () => sfu.addresses(),
      turnSecret: options.turnSecret,
      ...(options.reporter ? { reporter: options.reporter } : {}),
      ...(options.chat ? { chat: options.chat } : {}),
    });
    const { url, wsUrl } = await service.listen(0, '127.0.0.1');
    nodes.push({ service, url, wsUrl, busKv });
  }
  return {
    jwk,
    sfu,
    nodes,
    token: (identity, opts = {}) =>
      signJoinToken({
        privateJwk: jwk,
        identity,
        room: opts.room ?? 'room-1',
        grants: opts.grants ?? { publish: true, subscribe: true, host: false },
        ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.maxParticipants !== undefined ? { maxParticipants: opts.maxParticipants } : {}),
      }),
    async close() {
      for (const n of nodes) await n.service.close();
      for (const n of nodes) await n.busKv.close();
      if (!options.sfu) await sfu.stop();
    },
  };
}
