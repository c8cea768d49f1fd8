// One worker as a service: the SfuService gRPC server on top of SfuWorker, and the worker's own HTTP
// listener (health and Prometheus metrics). Built in-process by tests and by SFU_WORKERS=0; main.ts
// runs it in a forked child.
import { Metadata } from '@grpc/grpc-js';
import {
  createGrpcServer,
  createHttpService,
  createMetrics,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import { SfuServiceService, type SfuEvent } from '@origo/proto/sfu-rpc';
import { setListenerErrorReporter } from '../media/index.js';
import { registerWorkerMetrics } from './metrics.js';
import { mediaToAppError, SfuWorker, type SfuWorkerOptions } from './SfuWorker.js';

export interface SfuWorkerServiceOptions extends Omit<SfuWorkerOptions, 'logger'> {
  logger: Logger;
  /** Host both listeners bind to. Default 127.0.0.1. */
  host?: string;
  /** Host written into the advertised gRPC address when binding to 0.0.0.0. Default: host. */
  advertiseHost?: string;
  /** gRPC port; 0 picks a free one. */
  grpcPort?: number;
  /** HTTP port (health, metrics); 0 picks a free one. */
  httpPort?: number;
  /** A registry shared with other code in the process; a new one per worker by default. */
  metrics?: ServiceMetrics;
}

export interface SfuWorkerService {
  worker: SfuWorker;
  metrics: ServiceMetrics;
  /** Binds both listeners; returns the gRPC address to dial and the HTTP base URL. */
  listen(): Promise<{ grpcAddress: string; httpUrl: string }>;
  /** Stops taking new rooms and reports not-ready. */
  drain(): void;
  /** Closes every router, ends event streams, closes both listeners. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export function createSfuWorkerService(options: SfuWorkerServiceOptions): SfuWorkerService {
  const { logger } = options;
  const service = 'sfu';
  const metrics = options.metrics ?? createMetrics(service);
  const worker = new SfuWorker(options);
  const workerMetrics = registerWorkerMetrics(metrics.registry, () => worker.totals());
  setListenerErrorReporter((event, err) => logger.error({ err, event }, 'media listener threw'));

  const grpc = createGrpcServer({ service, logger, metrics });
  const streamsDone = new Set<() => void>();
  const wrap = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw mediaToAppError(err);
    }
  };

  grpc.add(SfuServiceService, {
    createRouter: (req) => wrap(() => worker.createRouter(req.roomId)),
    closeRouter: (req) =>
      wrap(() => {
        const stats = worker.closeRouter(req.roomId);
        return stats === undefined ? { closed: false } : { closed: true, stats };
      }),
    createPeer: (req) => wrap(() => ({ created: worker.createPeer(req) })),
    closePeer: (req) => wrap(() => ({ closed: worker.closePeer(req.roomId, req.participantId) })),
    publish: (req) => wrap(() => worker.publish(req)),
    setSubscriberAnswer: (req) =>
      wrap(async () => {
        await worker.setSubscriberAnswer(req);
        return {};
      }),
    addIceCandidate: (req) =>
      wrap(async () => {
        await worker.addIceCandidate(req);
        return {};
      }),
    restartIce: (req) => wrap(async () => ({ ...(await worker.restartIce(req)), offerSdp: '', offerId: 0 })),
    subscribe: (req) => wrap(() => worker.subscribe(req)),
    updateTrackSettings: (req) =>
      wrap(() => {
        worker.updateTrackSettings(req);
        return {};
      }),
    setTrackMuted: (req) =>
      wrap(() => {
        worker.setTrackMuted(req);
        return {};
      }),
    getStats: (req) => wrap(() => worker.getStats(req.roomId)),
    getLoad: () => wrap(() => worker.getLoad()),
    startRtpForward: (req) => wrap(() => worker.startRtpForward(req)),
    requestRtpForwardKeyframe: (req) =>
      wrap(() => {
        worker.requestRtpForwardKeyframe(req.roomId, req.forwardId);
        return {};
      }),
    stopRtpForward: (req) => wrap(() => ({ stopped: worker.stopRtpForward(req.roomId, req.forwardId) })),
    listRoomTracks: (req) => wrap(() => worker.listRoomTracks(req.roomId)),
    events: (req, call) =>
      new Promise<void>((resolve) => {
        const roomId = req.roomId;
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          off();
          streamsDone.delete(finish);
          resolve();
        };
        const off = worker.onEvent((event: SfuEvent) => {
          if (roomId !== undefined && event.roomId !== roomId) return;
          if (!call.writable) return;
          call.write(event);
        });
        streamsDone.add(finish);
        call.on('cancelled', finish);
        call.on('close', finish);
        call.on('error', finish);
        // Headers now: the caller knows the stream is registered before it creates routers.
        call.sendMetadata(new Metadata());
      }),
  });

  const http = createHttpService({
    service,
    logger,
    metrics,
    readiness: [
      {
        name: 'worker',
        check: async () => {
          if (worker.isDraining) throw new Error('draining');
        },
      },
    ],
  });

  let stopping: Promise<void> | undefined;
  return {
    worker,
    metrics,
    async listen() {
      const host = options.host ?? '127.0.0.1';
      const grpcPort = await grpc.listen(host, options.grpcPort ?? 0);
      const { url } = await http.listen(options.httpPort ?? 0, host);
      worker.markServing();
      const advertise = options.advertiseHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
      // Both addresses are what other nodes dial (signaling for gRPC, Prometheus for /metrics), so both
      // name the advertised host rather than the bound one.
      const urlHost = advertise.includes(':') ? `[${advertise}]` : advertise;
      return {
        grpcAddress: `${urlHost}:${grpcPort}`,
        httpUrl: `http://${urlHost}:${new URL(url).port}`,
      };
    },
    drain() {
      worker.drain();
      http.setDraining();
    },
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        worker.stop();
        for (const finish of [...streamsDone]) finish();
        workerMetrics.stop();
        await Promise.all([grpc.shutdown(graceMs), http.close()]);
      })();
      return stopping;
    },
  };
}
