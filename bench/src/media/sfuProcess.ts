// Parent side of the SFU child: spawns it (pinned with taskset when available), keeps an id-keyed
// map of pending requests that is rejected as a whole when the child exits, and relays its events.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  FromSfu,
  IceCandidateInit,
  SfuMeasure,
  ToSfu,
  TrackMetaMsg,
  TransportTarget,
} from './protocol.js';

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

/** The SFU's WebRTC stack under test. */
export type BenchTransport = 'werift' | 'ndc';

export interface SfuProcessOptions {
  /** CPU to pin the child to; null runs it unpinned. */
  cpu: number | null;
  /** Transport of the SFU under test (passed to the child as BENCH_SFU_TRANSPORT). */
  transport: BenchTransport;
  /** Directory for a V8 CPU profile of the child (node --cpu-prof); none when undefined. */
  cpuProfDir?: string;
}

export type SfuEvents = {
  subscriberOffer: [id: string, sdp: string];
  iceCandidate: [id: string, target: TransportTarget, candidate: IceCandidateInit | null];
  connectionState: [id: string, target: TransportTarget, state: string];
  peerClosed: [id: string, reason: string];
};

export class SfuProcess extends EventEmitter<SfuEvents> {
  readonly child: ChildProcess;
  readonly pinned: boolean;
  pid = 0;
  source = '';
  private reqId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>;
  private exited = false;

  constructor(opts: SfuProcessOptions) {
    super();
    const nodeArgs = ['--expose-gc', '--conditions=source', '--import', 'tsx'];
    if (opts.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
    const script = join(HERE, 'sfuChild.ts');
    const pin = opts.cpu !== null && hasTaskset();
    const [cmd, args] = pin
      ? ['taskset', ['-c', String(opts.cpu), process.execPath, ...nodeArgs, script]]
      : [process.execPath, [...nodeArgs, script]];
    this.pinned = pin;
    this.child = spawn(cmd, args as string[], {
      cwd: BENCH_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_SFU_TRANSPORT: opts.transport },
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SFU child did not start within 30 s')), 30_000);
      this.child.on('message', (m: FromSfu) => {
        switch (m.ev) {
          case 'ready':
            clearTimeout(timer);
            this.pid = m.pid;
            this.source = m.source;
            resolve();
            break;
          case 'reply': {
            const p = this.pending.get(m.reqId);
            this.pending.delete(m.reqId);
            if (m.ok) p?.resolve(m.value);
            else p?.reject(new Error(m.error ?? 'SFU request failed'));
            break;
          }
          case 'subscriberOffer':
            this.emit('subscriberOffer', m.id, m.sdp);
            break;
          case 'iceCandidate':
            this.emit('iceCandidate', m.id, m.target, m.candidate);
            break;
          case 'connectionState':
            this.emit('connectionState', m.id, m.target, m.state);
            break;
          case 'peerClosed':
            this.emit('peerClosed', m.id, m.reason);
            break;
        }
      });
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        clearTimeout(timer);
        const err = new Error(`SFU child exited (code ${code}, signal ${signal})`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
  }

  start(): Promise<void> {
    return this.ready;
  }

  private request<T>(msg: Record<string, unknown> & { op: ToSfu['op'] }, timeoutMs = 30_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error('SFU child has exited'));
    const id = ++this.reqId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`SFU request ${msg.op} timed out`));
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

  createPeer(id: string, subscribeAll: boolean): Promise<void> {
    return this.request({ op: 'createPeer', id, subscribeAll });
  }

  publisherOffer(id: string, sdp: string, meta: TrackMetaMsg[]): Promise<string> {
    return this.request({ op: 'pubOffer', id, sdp, meta });
  }

  subscriberAnswer(id: string, sdp: string): Promise<void> {
    return this.request({ op: 'subAnswer', id, sdp });
  }

  ice(id: string, target: TransportTarget, candidate: IceCandidateInit | null): void {
    if (!this.exited) this.child.send({ op: 'ice', id, target, candidate } satisfies ToSfu);
  }

  closePeer(id: string): Promise<void> {
    return this.request({ op: 'closePeer', id });
  }

  /** With gc, the child collects garbage first: a memory sample, not a CPU window boundary. */
  measure(gc = false): Promise<SfuMeasure> {
    return this.request({ op: 'measure', gc });
  }

  /** Asks the child to close its router and exit; kills it after a grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      this.child.send({ op: 'exit' } satisfies ToSfu);
    } catch {
      // Channel already closed.
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
