// Where the generator's publishers run: in a process of their own (the default; publisherChild.ts says
// why) or inline in the generator's process (`--inline-publishers`, what the bench did before). Both
// offer the same handle, so the session negotiates a publisher the same way wherever it runs.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BenchChild } from './benchChild.js';
import { Pacer, SynthPublisher, waitConnected, type PublisherOptions } from './peers.js';
import type { IceCandidateInit, TrackMetaMsg } from './protocol.js';
import type { ToPublishers } from './publisherChild.js';

/** A request to the publisher child, before the channel gives it its id. */
type PublisherRequest = ToPublishers extends infer T
  ? T extends { reqId: number }
    ? Omit<T, 'reqId'>
    : never
  : never;

export interface BenchPublisher {
  readonly id: string;
  offer(): Promise<{ sdp: string; meta: TrackMetaMsg[] }>;
  setAnswer(sdp: string): Promise<void>;
  addRemoteCandidate(c: IceCandidateInit | null): void;
  connected(timeoutMs: number, what: string): Promise<void>;
  /** Starts sending at the next pacer tick. */
  start(): Promise<void>;
}

export interface PublisherHost {
  /** How the publishers run, for the result's setup. */
  readonly description: string;
  /** Resolves once publishers can be created. */
  start(): Promise<void>;
  create(id: string, opts: PublisherOptions): BenchPublisher;
  stop(): Promise<void>;
}

/** Publishers on the generator's own event loop, driven by one pacer. */
export class InlinePublishers implements PublisherHost {
  readonly description = "inline: the generator's process and event loop";
  private readonly pacer = new Pacer(5);
  private readonly pubs: SynthPublisher[] = [];

  start(): Promise<void> {
    return Promise.resolve();
  }

  create(id: string, opts: PublisherOptions): BenchPublisher {
    const p = new SynthPublisher(id, opts);
    this.pubs.push(p);
    const pacer = this.pacer;
    return {
      id,
      offer: () => p.offer(),
      setAnswer: (sdp) => p.setAnswer(sdp),
      addRemoteCandidate: (c) => p.addRemoteCandidate(c),
      connected: (timeoutMs, what) => waitConnected(p.pc, timeoutMs, what),
      start: () => {
        pacer.add(p);
        p.start(performance.now());
        return Promise.resolve();
      },
    };
  }

  stop(): Promise<void> {
    this.pacer.stop();
    for (const p of this.pubs) p.close();
    return Promise.resolve();
  }
}

/**
 * Publishers in publisherChild.ts, on the generator's CPU but ahead of it (a lower nice value where the
 * system allows it).
 */
export class PublisherProcess implements PublisherHost {
  description = '';
  private readonly child: BenchChild;
  private readonly ready: Promise<void>;

  constructor(cpu: number | null) {
    let markReady: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (markReady = resolve));
    this.child = new BenchChild({
      name: 'publisher child',
      script: 'publisherChild.ts',
      cpu,
      onMessage: (m) => {
        if (m.ev !== 'ready') return;
        this.description = `own process${cpu === null ? '' : ` on CPU ${cpu}`}, ${raisePriority(Number(m['pid']))}`;
        markReady();
      },
    });
    this.ready = this.child.started(started, 'publisher child');
  }

  start(): Promise<void> {
    return this.ready;
  }

  create(id: string, opts: PublisherOptions): BenchPublisher {
    const c = this.child;
    const ask = <T>(msg: PublisherRequest, timeoutMs?: number): Promise<T> =>
      c.request<T>(msg as { op: string } & Record<string, unknown>, timeoutMs);
    return {
      id,
      offer: () => ask({ op: 'create', id, opts, originMs: performance.timeOrigin }),
      setAnswer: (sdp) => ask({ op: 'answer', id, sdp }),
      addRemoteCandidate: (candidate) => c.post({ op: 'candidate', id, candidate }),
      connected: (timeoutMs, what) => ask({ op: 'connected', id, timeoutMs, what }, timeoutMs + 5000),
      start: () => ask({ op: 'start', id }),
    };
  }

  stop(): Promise<void> {
    return this.child.stop({ op: 'exit' });
  }
}

/**
 * nice -10 for every thread of the process: the scheduler then runs a publisher that wakes for its
 * next frame ahead of the receivers on the same CPU. (Real-time SCHED_FIFO was tried: with every thread
 * at one real-time priority on one CPU the process stopped sending after its first frames.)
 */
function raisePriority(pid: number): string {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    tids = [String(pid)];
  }
  if (spawnSync('renice', ['-n', '-10', '-p', ...tids], { stdio: 'ignore' }).status === 0) return 'nice -10';
  return 'normal priority (renice refused)';
}
