// Messages between the SFU role (parent) and a worker process (child) over the fork IPC channel.

export type WorkerToParent =
  | { type: 'ready'; workerId: string; grpcAddress: string; httpUrl: string }
  | { type: 'fatal'; workerId: string; error: string }
  /** The worker got SIGINT or SIGTERM while its parent is there: it waits for the parent to stop it. */
  | { type: 'signal'; workerId: string; signal: string };

export type ParentToWorker = { type: 'drain' } | { type: 'stop'; graceMs: number };

export function isWorkerMessage(value: unknown): value is WorkerToParent {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'fatal' || type === 'signal';
}

export function isParentMessage(value: unknown): value is ParentToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'drain' || type === 'stop';
}
