// A child process of the bench, driven over Node's IPC channel: spawned with tsx (pinned to one CPU
// with taskset when asked and available), requests carry an id and are settled by the child's reply,
// and every pending request is rejected when the child exits.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BENCH_ROOT = join(HERE, '..', '..');

let tasksetChecked: boolean | undefined;
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    const r = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    tasksetChecked = r.status === 0;
  }
  return tasksetChecked;
}

/** Pins every thread of a process to one CPU; false when taskset is missing or fails. */
export function pinProcess(pid: number, cpu: number): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** What a child answers to a request. */
export interface ChildReply {
  ev: 'reply';
  reqId: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface BenchChildOptions {
  /** What the child is, for error messages ("SFU child"). */
  name: string;
  /** The child's script, a file beside this one. */
  script: string;
  /** CPU to pin the child to; null runs it unpinned. */
  cpu: number | null;
  /** Node options before the script (tsx is added). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Every message that is not a reply. */
  onMessage: (m: { ev: string } & Record<string, unknown>) => void;
}

export class BenchChild {
  readonly child: ChildProcess;
  readonly pinned: boolean;
  /** Rejected with the reason when the child exits; never resolves. */
  readonly exited: Promise<never>;
  private reqId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private gone = false;

  constructor(private readonly opts: BenchChildOptions) {
    const nodeArgs = ['--conditions=source', '--import', 'tsx', ...(opts.nodeArgs ?? [])];
    const script = join(HERE, opts.script);
    const pin = opts.cpu !== null && hasTaskset();
    const [cmd, args] = pin
      ? ['taskset', ['-c', String(opts.cpu), process.execPath, ...nodeArgs, script]]
      : [process.execPath, [...nodeArgs, script]];
    this.pinned = pin;
    this.child = spawn(cmd, args as string[], {
      cwd: BENCH_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: opts.env ?? process.env,
    });
    this.child.on('message', (m: { ev: string } & Record<string, unknown>) => {
      if (m.ev !== 'reply') return opts.onMessage(m);
      const r = m as unknown as ChildReply;
      const p = this.pending.get(r.reqId);
      this.pending.delete(r.reqId);
      if (r.ok) p?.resolve(r.value);
      else p?.reject(new Error(r.error ?? `${opts.name} request failed`));
    });
    this.exited = new Promise<never>((_, reject) => {
      this.child.on('exit', (code, signal) => {
        this.gone = true;
        const err = new Error(`${opts.name} exited (code ${code}, signal ${signal})`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    this.exited.catch(() => undefined);
  }

  get hasExited(): boolean {
    return this.gone;
  }

  /** `ready` (the child's first message), or why it did not come: the child exited or 30 s passed. */
  started(ready: Promise<void>, what: string, timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    const p = Promise.race([ready, this.exited, timeout]).finally(() => clearTimeout(timer));
    p.catch(() => undefined);
    return p;
  }

  request<T>(msg: { op: string } & Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (this.gone) return Promise.reject(new Error(`${this.opts.name} has exited`));
    const id = ++this.reqId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.opts.name} request ${msg.op} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...msg, reqId: id });
    });
  }

  /** A message that needs no answer; dropped once the child is gone. */
  post(msg: { op: string } & Record<string, unknown>): void {
    if (this.gone) return;
    try {
      this.child.send(msg);
    } catch {
      // The channel closed between the check and the send; the exit handler reports it.
    }
  }

  /** Sends `exitMsg` and waits for the exit; kills the child after a grace period. */
  async stop(exitMsg: { op: string }, graceMs = 5000): Promise<void> {
    if (this.gone) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.post(exitMsg);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
}

/** Answers one request inside a child: the handler's value, or its error as text. */
export async function replyTo(reqId: number, handler: () => unknown): Promise<void> {
  let reply: ChildReply;
  try {
    reply = { ev: 'reply', reqId, ok: true, value: await handler() };
  } catch (error) {
    reply = { ev: 'reply', reqId, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  process.send?.(reply);
}
