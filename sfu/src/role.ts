// The `sfu` role: one worker process per core (SFU_WORKERS overrides; 0 runs one worker in this
// process), their gRPC addresses published as `sfu.workers` in the AddressBook and, with REDIS_URL,
// registered in the shared store under `sfu:worker:<id>` with a TTL heartbeat. Crashed workers are
// restarted with backoff until the role drains (the node is stopping).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  loadConfig,
  type Logger,
  type RoleContext,
  type RoleDefinition,
  type RunningRole,
  ADDRESS,
  SFU_WORKER_KEY_PREFIX,
  type SfuWorkerRegistration,
} from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { mediaOptionsFrom, sfuConfigSchema, type SfuConfig } from './worker/config.js';
import { isWorkerMessage, type ParentToWorker } from './worker/ipc.js';
import { createSfuWorkerService, type SfuWorkerService } from './worker/service.js';

/** What a worker registers in the shared store (the contract lives in the kit, signaling reads it). */
export type WorkerRegistration = SfuWorkerRegistration;

const START_TIMEOUT_MS = 30_000;
const STOP_BUDGET_MS = 8_000;
const MAX_BACKOFF_MS = 30_000;

/** The built worker entry; source runs (vitest) fork the build too, so it must exist. */
export function workerEntryPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(resolve(here, '..'), 'dist', 'worker', 'main.js');
}

interface Slot {
  index: number;
  workerId: string;
  child: ChildProcess | undefined;
  grpcAddress: string | undefined;
  httpUrl: string | undefined;
  startedAt: number;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;

  constructor(
    private readonly ctx: RoleContext,
    private readonly config: SfuConfig,
    private readonly logger: Logger,
    count: number,
    private readonly entry: string,
    private readonly changed: () => void,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      workerId: `${config.SFU_NODE_ID}-w${index}`,
      child: undefined,
      grpcAddress: undefined,
      httpUrl: undefined,
      startedAt: 0,
      failures: 0,
      restartTimer: undefined,
    }));
  }

  live(): Slot[] {
    return this.slots.filter((s) => s.grpcAddress !== undefined);
  }

  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.spawn(slot)));
  }

  private spawn(slot: Slot): Promise<void> {
    const port = (base: number): string => String(base === 0 ? 0 : base + slot.index);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.ctx.env)) if (value !== undefined) env[key] = value;
    env['SFU_WORKER_ID'] = slot.workerId;
    env['SFU_WORKER_GRPC_PORT'] = port(this.config.SFU_GRPC_PORT);
    env['SFU_WORKER_HTTP_PORT'] = port(this.config.SFU_HTTP_PORT);
    env['SFU_WORKER_UDP_PORT'] = port(this.config.SFU_UDP_PORT);
    const child = fork(this.entry, [], {
      env,
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    slot.child = child;
    slot.startedAt = Date.now();
    return new Promise<void>((resolveStart, rejectStart) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        child.kill('SIGKILL');
        rejectStart(
          new Error(`SFU worker ${slot.workerId} did not report ready within ${START_TIMEOUT_MS} ms`),
        );
      }, START_TIMEOUT_MS);
      timer.unref();
      child.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.type === 'ready') {
          slot.grpcAddress = message.grpcAddress;
          slot.httpUrl = message.httpUrl;
          this.logger.info(
            { worker_id: slot.workerId, grpc: message.grpcAddress, pid: child.pid },
            'sfu worker ready',
          );
          this.changed();
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            resolveStart();
          }
        } else if (message.type === 'signal') {
          this.logger.info(
            { worker_id: slot.workerId, signal: message.signal },
            'sfu worker got a stop signal; it stops with the role',
          );
        } else if (!settled) {
          settled = true;
          clearTimeout(timer);
          rejectStart(new Error(`SFU worker ${slot.workerId} failed to start: ${message.error}`));
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const wasLive = slot.grpcAddress !== undefined;
        slot.child = undefined;
        slot.grpcAddress = undefined;
        slot.httpUrl = undefined;
        if (wasLive) this.changed();
        if (!settled) {
          settled = true;
          rejectStart(
            new Error(`SFU worker ${slot.workerId} exited during start (code ${code}, signal ${signal})`),
          );
          return;
        }
        if (this.stopping) {
          this.logger.info({ worker_id: slot.workerId, code, signal }, 'sfu worker exited');
          return;
        }
        this.logger.error({ worker_id: slot.workerId, code, signal }, 'sfu worker died; restarting');
        this.scheduleRestart(slot);
      });
    });
  }

  private scheduleRestart(slot: Slot): void {
    // A worker that ran a minute counts as healthy again: backoff starts over.
    if (Date.now() - slot.startedAt > 60_000) slot.failures = 0;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** slot.failures);
    slot.failures += 1;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping) return;
      this.spawn(slot).catch((err: unknown) => {
        this.logger.error({ err, worker_id: slot.workerId }, 'sfu worker restart failed');
        if (!this.stopping && slot.child === undefined) this.scheduleRestart(slot);
      });
    }, delay);
    slot.restartTimer.unref();
  }

  private send(slot: Slot, message: ParentToWorker): void {
    if (slot.child?.connected) slot.child.send(message, (err) => err && undefined);
  }

  /** Drain is the first step of the node's shutdown: from here on a worker that exits stays down. */
  drain(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      this.send(slot, { type: 'drain' });
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const waits = this.slots.map(async (slot) => {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      const child = slot.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      this.send(slot, { type: 'stop', graceMs: 3000 });
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_BUDGET_MS);
      timer.unref();
      if (!child.connected) child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(waits);
  }
}

/** Keeps `sfu:worker:<id>` keys alive while the workers are. */
class Registry {
  private readonly timer: NodeJS.Timeout;
  private registered = new Set<string>();
  private closed = false;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly busKv: BusKv,
    private readonly ttlMs: number,
    private readonly list: () => WorkerRegistration[],
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.refresh(), Math.max(500, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** Writes the live workers (and drops the gone ones); calls are serialised. */
  refresh(): Promise<void> {
    if (this.closed) return this.inflight;
    this.inflight = this.inflight.then(() => (this.closed ? undefined : this.write()));
    return this.inflight;
  }

  private async write(): Promise<void> {
    const current = this.list();
    const ids = new Set(current.map((r) => r.workerId));
    try {
      await Promise.all(
        current.map((r) =>
          this.busKv.kv.set(`${SFU_WORKER_KEY_PREFIX}${r.workerId}`, JSON.stringify(r), {
            ttlMs: this.ttlMs,
          }),
        ),
      );
      await Promise.all(
        [...this.registered]
          .filter((id) => !ids.has(id))
          .map((id) => this.busKv.kv.del(`${SFU_WORKER_KEY_PREFIX}${id}`)),
      );
      this.registered = ids;
    } catch (err) {
      this.logger.warn({ err }, 'sfu worker registration failed; retrying');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closed = true;
    await this.inflight;
    await Promise.all(
      [...this.registered].map((id) => this.busKv.kv.del(`${SFU_WORKER_KEY_PREFIX}${id}`).catch(() => false)),
    );
    await this.busKv.close();
  }
}

export const sfuRole: RoleDefinition = {
  name: 'sfu',
  description:
    'Media plane: SFU worker processes (werift or libdatachannel transport) with their gRPC servers',
  start: (ctx) => startSfuRole(ctx),
};

/** Starts the sfu role; `logger` defaults to the role's own service logger (tests pass one that captures). */
export async function startSfuRole(
  ctx: RoleContext,
  logger: Logger = createLogger({ service: 'sfu', level: ctx.common.LOG_LEVEL }),
): Promise<RunningRole> {
  const config = loadConfig(sfuConfigSchema, ctx.env);
  const count = config.SFU_WORKERS === -1 ? availableParallelism() : config.SFU_WORKERS;

  let inProcess: SfuWorkerService | undefined;
  let inProcessReg: WorkerRegistration | undefined;
  let supervisor: Supervisor | undefined;
  let registry: Registry | undefined;

  const list = (): WorkerRegistration[] => {
    if (inProcessReg) return [inProcessReg];
    return (supervisor?.live() ?? []).map((s) => ({
      workerId: s.workerId,
      nodeId: config.SFU_NODE_ID,
      grpcAddress: s.grpcAddress ?? '',
      httpUrl: s.httpUrl ?? '',
    }));
  };
  const publish = (): void => {
    ctx.addresses.set(
      ADDRESS.sfuWorkers,
      list()
        .map((r) => r.grpcAddress)
        .join(','),
    );
    // refresh() logs and retries a failed write itself; it never rejects.
    void registry?.refresh();
  };

  if (ctx.common.REDIS_URL) {
    const busKv = await createBusKv({ redisUrl: ctx.common.REDIS_URL, logger });
    registry = new Registry(busKv, config.SFU_REGISTRY_TTL_MS, list, logger);
  }

  try {
    if (count === 0) {
      const workerId = `${config.SFU_NODE_ID}-w0`;
      inProcess = createSfuWorkerService({
        workerId,
        nodeId: config.SFU_NODE_ID,
        logger: logger.child({ worker_id: workerId }),
        host: config.SFU_HOST,
        ...(config.SFU_ADVERTISE_HOST ? { advertiseHost: config.SFU_ADVERTISE_HOST } : {}),
        grpcPort: config.SFU_GRPC_PORT,
        httpPort: config.SFU_HTTP_PORT,
        ...mediaOptionsFrom(config),
      });
      const { grpcAddress, httpUrl } = await inProcess.listen();
      inProcessReg = { workerId, nodeId: config.SFU_NODE_ID, grpcAddress, httpUrl };
      publish();
    } else {
      const entry = workerEntryPath();
      if (!existsSync(entry)) {
        throw new Error(
          `SFU worker entry ${entry} is missing: build it with "npm run build -w @origo/sfu" (or set SFU_WORKERS=0)`,
        );
      }
      supervisor = new Supervisor(ctx, config, logger, count, entry, publish);
      await supervisor.start();
    }
    await registry?.refresh();
  } catch (err) {
    await supervisor?.stop();
    await inProcess?.stop();
    await registry?.close();
    throw err;
  }

  const endpoints = (): Record<string, string> => {
    const regs = list();
    return {
      grpc: regs.map((r) => r.grpcAddress).join(','),
      metrics: regs.map((r) => `${r.httpUrl}/metrics`).join(','),
    };
  };
  logger.info({ workers: list().length, ...endpoints() }, 'sfu role started');

  let stopped: Promise<void> | undefined;
  return {
    name: 'sfu',
    endpoints: endpoints(),
    drain() {
      supervisor?.drain();
      inProcess?.drain();
    },
    stop() {
      stopped ??= (async () => {
        await registry?.close();
        await Promise.all([supervisor?.stop(), inProcess?.stop()]);
        ctx.addresses.set(ADDRESS.sfuWorkers, '');
      })();
      return stopped;
    },
  };
}
