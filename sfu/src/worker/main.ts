// Entry of one forked SFU worker process: reads its config, listens, reports its addresses to the
// parent over IPC, and stops when the parent says so (or the parent goes away).
import { commonConfigSchema, createLogger, loadConfig } from '@origo/kit';
import { mediaOptionsFrom, sfuConfigSchema, workerChildSchema } from './config.js';
import { isParentMessage, type WorkerToParent } from './ipc.js';
import { createSfuWorkerService } from './service.js';

/** How often the worker checks that its parent is still there. */
const PARENT_CHECK_MS = 1000;
/** After a signal, how long the worker waits for its parent to stop it (the launcher's shutdown budget). */
const PARENT_STOP_WAIT_MS = 10_000;
/** Past the stop's grace, how long before the process exits regardless. */
const FORCE_EXIT_AFTER_MS = 2000;

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
    ...mediaOptionsFrom(config, child.SFU_WORKER_UDP_PORT),
  });
  let exiting = false;
  const stop = async (graceMs: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    // A stop that hangs must not keep the process (and its UDP and gRPC ports) alive.
    setTimeout(() => process.exit(1), graceMs + FORCE_EXIT_AFTER_MS).unref();
    await service.stop(graceMs).catch((err: unknown) => logger.error({ err }, 'worker stop failed'));
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === 'drain') service.drain();
    // stop() logs a failed stop itself and always exits.
    else void stop(message.graceMs);
  });
  // A worker never outlives its parent: the IPC channel closes when the parent exits, even on SIGKILL,
  // and the parent pid check covers a parent that is gone while its channel has not closed yet.
  const parentPid = process.ppid;
  process.on('disconnect', () => void stop(1000));
  setInterval(() => {
    if (process.ppid !== parentPid) void stop(1000);
  }, PARENT_CHECK_MS).unref();
  // Ctrl+C in a terminal and a service manager's stop signal the whole process group. The parent got the
  // same signal and stops its roles in order (signaling tells clients to reconnect before the media
  // goes), then stops this worker; exiting here first would cut media early and look like a crash. If
  // the parent does not stop it within the launcher's shutdown budget, the worker stops by itself.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!process.connected) {
      void stop(3000);
      return;
    }
    send({ type: 'signal', workerId: child.SFU_WORKER_ID, signal });
    setTimeout(() => void stop(1000), PARENT_STOP_WAIT_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
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
