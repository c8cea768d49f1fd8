// Entry of one forked SFU worker process: reads its config, listens, reports its addresses to the
// parent over IPC, and stops when the parent says so (or the parent goes away).
import { commonConfigSchema, createLogger, loadConfig } from '@origo/kit';
import { sfuConfigSchema, workerChildSchema } from './config.js';
import { isParentMessage, type WorkerToParent } from './ipc.js';
import { createSfuWorkerService } from './service.js';

function send(message: WorkerToParent): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  const common = loadConfig(commonConfigSchema);
  const config = loadConfig(sfuConfigSchema);
  const child = loadConfig(workerChildSchema);
  const logger = createLogger({ service: 'sfu', level: common.LOG_LEVEL }).child({
    worker_id: child.SFU_WORKER_ID,
  });
  const service = createSfuWorkerService({
    workerId: child.SFU_WORKER_ID,
    nodeId: config.SFU_NODE_ID,
    logger,
    host: config.SFU_HOST,
    ...(config.SFU_ADVERTISE_HOST ? { advertiseHost: config.SFU_ADVERTISE_HOST } : {}),
    grpcPort: child.SFU_WORKER_GRPC_PORT,
    httpPort: child.SFU_WORKER_HTTP_PORT,
    ...(config.SFU_ICE_PORT_RANGE ? { router: { werift: { icePortRange: config.SFU_ICE_PORT_RANGE } } } : {}),
  });
  let exiting = false;
  const stop = async (graceMs: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await service.stop(graceMs).catch((err: unknown) => logger.error({ err }, 'worker stop failed'));
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === 'drain') service.drain();
    else void stop(message.graceMs);
  });
  // A worker never outlives its parent.
  process.on('disconnect', () => void stop(1000));
  process.on('SIGTERM', () => void stop(3000));
  process.on('SIGINT', () => void stop(3000));
  const { grpcAddress, httpUrl } = await service.listen();
  logger.info({ grpc: grpcAddress, http: httpUrl }, 'sfu worker listening');
  send({ type: 'ready', workerId: child.SFU_WORKER_ID, grpcAddress, httpUrl });
}

main().catch((err: unknown) => {
  const error = err instanceof Error ? err.message : String(err);
  process.stderr.write(`sfu worker failed to start: ${error}\n`);
  send({ type: 'fatal', workerId: process.env['SFU_WORKER_ID'] ?? '?', error });
  setTimeout(() => process.exit(1), 100).unref();
});
