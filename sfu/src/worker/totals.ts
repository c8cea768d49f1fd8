// Worker-wide media counters: gauges summed over live routers, counters also over routers already closed.
import type { MediaStats, MediaStatsSnapshot } from '../media/index.js';

export interface WorkerTotals extends MediaStatsSnapshot {
  routers: number;
}

/** Counters that only grow. */
type CounterKey = Exclude<keyof MediaStatsSnapshot, 'peers' | 'producers' | 'consumers'>;
const COUNTER_KEYS: CounterKey[] = [
  'packetsIn',
  'bytesIn',
  'packetsOut',
  'bytesOut',
  'packetsDropped',
  'nacksReceived',
  'nackedPackets',
  'retransmissionsSent',
  'retransmissionsMissed',
  'plisReceived',
  'plisSent',
  'layerSwitches',
  'containedErrors',
];

export class Totals {
  private readonly retired = Object.fromEntries(COUNTER_KEYS.map((k) => [k, 0])) as Record<
    CounterKey,
    number
  >;

  /** Keeps the counters of a router that closed. */
  retire(stats: MediaStats): void {
    for (const key of COUNTER_KEYS) this.retired[key] += stats[key];
  }

  sum(live: readonly MediaStats[]): WorkerTotals {
    const t: WorkerTotals = { routers: live.length, peers: 0, producers: 0, consumers: 0, ...this.retired };
    for (const stats of live) {
      t.peers += stats.peers;
      t.producers += stats.producers;
      t.consumers += stats.consumers;
      for (const key of COUNTER_KEYS) t[key] += stats[key];
    }
    return t;
  }
}
