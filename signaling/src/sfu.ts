// Signaling's side of the SFU control API: one gRPC client and one Events stream per worker address,
// opened before the first router is created on that worker (so no event is missed), and the
// least-loaded choice used for placement.
import type { ClientReadableStream, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';
import { AppError, createGrpcClient, unary, type Logger, type ServiceMetrics } from '@origo/kit';
import {
  SfuServiceClient,
  type AddIceCandidateRequest,
  type AddIceCandidateResponse,
  type ClosePeerRequest,
  type ClosePeerResponse,
  type CloseRouterRequest,
  type CloseRouterResponse,
  type CreatePeerRequest,
  type CreatePeerResponse,
  type CreateRouterRequest,
  type CreateRouterResponse,
  type GetStatsRequest,
  type GetStatsResponse,
  type PublishRequest,
  type PublishResponse,
  type RestartIceRequest,
  type RestartIceResponse,
  type SetSubscriberAnswerRequest,
  type SetSubscriberAnswerResponse,
  type SetTrackMutedRequest,
  type SetTrackMutedResponse,
  type SfuEvent,
  type SubscribeRequest,
  type SubscribeResponse,
  type UpdateTrackSettingsRequest,
  type UpdateTrackSettingsResponse,
  type WorkerLoad,
} from '@origo/proto/sfu-rpc';

/** Lists the gRPC addresses of the SFU workers currently known. */
export type SfuDirectory = () => Promise<string[]>;

export interface SfuPoolOptions {
  logger: Logger;
  metrics?: ServiceMetrics;
  directory: SfuDirectory;
  /** Every event of every worker this node is connected to. */
  onEvent: (address: string, event: SfuEvent) => void;
  /** The Events stream of a worker ended: its routers must be treated as gone. */
  onWorkerLost: (address: string) => void;
  /** Deadline of control calls (ms). Default 5000. */
  deadlineMs?: number;
}

interface Connection {
  address: string;
  client: SfuServiceClient;
  stream: ClientReadableStream<SfuEvent> | undefined;
  ready: Promise<void>;
  lost: boolean;
}

export interface PlacementChoice {
  address: string;
  workerId: string;
}

type Method<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: object,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export class SfuPool {
  private readonly connections = new Map<string, Connection>();
  private closed = false;

  constructor(private readonly opts: SfuPoolOptions) {}

  /** The client of a worker with its Events stream open (headers received). */
  async connect(address: string): Promise<SfuServiceClient> {
    if (this.closed) throw AppError.unavailable('signaling is shutting down');
    let conn = this.connections.get(address);
    if (!conn || conn.lost) {
      conn = this.open(address);
      this.connections.set(address, conn);
    }
    try {
      await conn.ready;
    } catch (err) {
      if (this.connections.get(address) === conn) this.connections.delete(address);
      throw err;
    }
    return conn.client;
  }

  private open(address: string): Connection {
    const client = createGrpcClient(SfuServiceClient, address, {
      logger: this.opts.logger,
      ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
      defaultDeadlineMs: this.opts.deadlineMs ?? 5000,
      channelOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5000 },
    });
    const conn: Connection = { address, client, stream: undefined, ready: Promise.resolve(), lost: false };
    conn.ready = new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () => fail(AppError.unavailable(`SFU ${address} did not open its event stream`)),
        5000,
      );
      timer.unref();
      const fail = (err: AppError): void => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(err);
        }
      };
      const stream = client.events({});
      conn.stream = stream;
      stream.on('metadata', () => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      });
      stream.on('data', (event: SfuEvent) => {
        try {
          this.opts.onEvent(address, event);
        } catch (err) {
          this.opts.logger.error({ err }, 'SFU event handler threw');
        }
      });
      const ended = (err?: Error): void => {
        const wasOpen = settled;
        fail(AppError.unavailable(`SFU ${address} unreachable${err ? `: ${err.message}` : ''}`));
        if (conn.lost) return;
        conn.lost = true;
        if (this.connections.get(address) === conn) this.connections.delete(address);
        client.close();
        if (!this.closed && wasOpen) {
          this.opts.logger.warn(
            { sfu: address, err: err?.message },
            'SFU event stream ended; its rooms are lost',
          );
          this.opts.onWorkerLost(address);
        }
      };
      stream.on('error', (err: Error) => ended(err));
      stream.on('end', () => ended());
    });
    // Nobody may be awaiting yet; the rejection is observed by connect().
    conn.ready.catch(() => undefined);
    return conn;
  }

  /** The typed client of one worker (calls go through its pooled connection). */
  client(address: string): SfuClient {
    return new SfuClient(this, address);
  }

  /** A unary call to a worker, through its connection; errors come back as AppError. */
  async call<Req, Res>(
    address: string,
    pick: (client: SfuServiceClient) => Method<Req, Res>,
    request: Req,
    deadlineMs?: number,
  ): Promise<Res> {
    const client = await this.connect(address);
    return unary(pick(client).bind(client), request, deadlineMs ? { deadlineMs } : {});
  }

  /** Loads of every known worker that answers within `deadlineMs`. */
  async loads(deadlineMs = 1500): Promise<Array<{ address: string; load: WorkerLoad }>> {
    const addresses = [...new Set(await this.opts.directory())].filter((a) => a.length > 0);
    const results = await Promise.all(
      addresses.map(async (address) => {
        const client =
          this.connections.get(address)?.client ??
          createGrpcClient(SfuServiceClient, address, { defaultDeadlineMs: deadlineMs });
        const temporary = this.connections.get(address)?.client !== client;
        try {
          const res = await unary(client.getLoad.bind(client), {}, { deadlineMs });
          return res.workers.map((load) => ({ address, load }));
        } catch {
          return [];
        } finally {
          if (temporary) client.close();
        }
      }),
    );
    return results.flat();
  }

  /** The worker to place a new room on: not draining, lowest CPU-weighted load. */
  async leastLoaded(): Promise<PlacementChoice> {
    const candidates = (await this.loads()).filter((c) => !c.load.draining);
    if (candidates.length === 0) throw AppError.unavailable('no SFU worker is available');
    const score = (l: WorkerLoad): number =>
      l.cpuLoad * 100 + l.peerCount + l.routerCount * 0.5 + l.consumerCount * 0.05;
    candidates.sort((a, b) => score(a.load) - score(b.load));
    const best = candidates[0]!;
    return { address: best.address, workerId: best.load.workerId };
  }

  /** Cancels every stream and closes every client. */
  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) {
      conn.lost = true;
      conn.stream?.cancel();
      conn.client.close();
    }
    this.connections.clear();
  }
}

/** Deadlines of the calls that tear things down: short, because a dead worker must not hold a leave up. */
const CLOSE_DEADLINE_MS = 2000;

/**
 * The SFU control API of one worker as signaling calls it: one method per RPC, request and response types
 * from the generated code (a misspelled or missing field fails to compile), deadlines in one place, and
 * every failure an AppError with its canonical code (mapped for clients by toSignalError).
 */
export class SfuClient {
  constructor(
    private readonly pool: SfuPool,
    readonly address: string,
  ) {}

  createRouter(req: CreateRouterRequest): Promise<CreateRouterResponse> {
    return this.pool.call(this.address, (c) => c.createRouter, req);
  }

  closeRouter(req: CloseRouterRequest): Promise<CloseRouterResponse> {
    return this.pool.call(this.address, (c) => c.closeRouter, req, CLOSE_DEADLINE_MS);
  }

  createPeer(req: CreatePeerRequest): Promise<CreatePeerResponse> {
    return this.pool.call(this.address, (c) => c.createPeer, req);
  }

  closePeer(req: ClosePeerRequest): Promise<ClosePeerResponse> {
    return this.pool.call(this.address, (c) => c.closePeer, req, CLOSE_DEADLINE_MS);
  }

  publish(req: PublishRequest): Promise<PublishResponse> {
    return this.pool.call(this.address, (c) => c.publish, req);
  }

  setSubscriberAnswer(req: SetSubscriberAnswerRequest): Promise<SetSubscriberAnswerResponse> {
    return this.pool.call(this.address, (c) => c.setSubscriberAnswer, req);
  }

  addIceCandidate(req: AddIceCandidateRequest): Promise<AddIceCandidateResponse> {
    return this.pool.call(this.address, (c) => c.addIceCandidate, req);
  }

  restartIce(req: RestartIceRequest): Promise<RestartIceResponse> {
    return this.pool.call(this.address, (c) => c.restartIce, req);
  }

  subscribe(req: SubscribeRequest): Promise<SubscribeResponse> {
    return this.pool.call(this.address, (c) => c.subscribe, req);
  }

  updateTrackSettings(req: UpdateTrackSettingsRequest): Promise<UpdateTrackSettingsResponse> {
    return this.pool.call(this.address, (c) => c.updateTrackSettings, req);
  }

  setTrackMuted(req: SetTrackMutedRequest): Promise<SetTrackMutedResponse> {
    return this.pool.call(this.address, (c) => c.setTrackMuted, req);
  }

  getStats(req: GetStatsRequest): Promise<GetStatsResponse> {
    return this.pool.call(this.address, (c) => c.getStats, req, CLOSE_DEADLINE_MS);
  }
}
