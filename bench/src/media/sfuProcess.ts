// Parent side of the SFU child: spawns it (pinned with taskset when available), keeps an id-keyed
// map of pending requests that is rejected as a whole when the child exits, and relays its events.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { BenchChild } from './benchChild.js';
import type {
  FromSfu,
  IceCandidateInit,
  SfuMeasure,
  ToSfu,
  TrackMetaMsg,
  TransportTarget,
} from './protocol.js';

export { BENCH_ROOT, hasTaskset, pinProcess } from './benchChild.js';

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
  private readonly proc: BenchChild;
  private readonly ready: Promise<void>;

  constructor(opts: SfuProcessOptions) {
    super();
    let markReady: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (markReady = resolve));
    this.proc = new BenchChild({
      name: 'SFU child',
      script: 'sfuChild.ts',
      cpu: opts.cpu,
      nodeArgs: [
        '--expose-gc',
        ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
      ],
      env: { ...process.env, BENCH_SFU_TRANSPORT: opts.transport },
      onMessage: (msg) => {
        const m = msg as unknown as FromSfu;
        switch (m.ev) {
          case 'ready':
            this.pid = m.pid;
            this.source = m.source;
            markReady();
            break;
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
      },
    });
    this.child = this.proc.child;
    this.pinned = this.proc.pinned;
    this.ready = this.proc.started(started, 'SFU child');
  }

  start(): Promise<void> {
    return this.ready;
  }

  private request<T>(msg: Record<string, unknown> & { op: ToSfu['op'] }, timeoutMs = 30_000): Promise<T> {
    return this.proc.request<T>(msg, timeoutMs);
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
    this.proc.post({ op: 'ice', id, target, candidate } satisfies ToSfu);
  }

  closePeer(id: string): Promise<void> {
    return this.request({ op: 'closePeer', id });
  }

  /** With gc, the child collects garbage first: a memory sample, not a CPU window boundary. */
  measure(gc = false): Promise<SfuMeasure> {
    return this.request({ op: 'measure', gc });
  }

  /** Asks the child to close its router and exit; kills it after a grace period. */
  stop(graceMs = 5000): Promise<void> {
    return this.proc.stop({ op: 'exit' } satisfies ToSfu, graceMs);
  }
}
