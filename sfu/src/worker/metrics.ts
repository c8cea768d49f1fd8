// Prometheus view of one worker. The media core bumps plain counters on the hot path; they are read
// here only when Prometheus scrapes, so forwarding never calls into prom-client.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerTotals } from './SfuWorker.js';

export interface WorkerMetrics {
  /** Stops the event-loop delay monitor. */
  stop(): void;
}

/** Registers the worker's gauges and counters on `registry`, reading `totals()` at scrape time. */
export function registerWorkerMetrics(registry: Registry, totals: () => WorkerTotals): WorkerMetrics {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const registers = [registry];

  const gauge = (name: string, help: string, read: (t: WorkerTotals) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(totals()));
      },
    });
  };
  gauge('origo_sfu_routers', 'Routers (rooms) on this worker', (t) => t.routers);
  gauge('origo_sfu_peers', 'Peers (participants) on this worker', (t) => t.peers);
  gauge('origo_sfu_producers', 'Producers (published tracks) on this worker', (t) => t.producers);
  gauge('origo_sfu_consumers', 'Consumers (subscriptions) on this worker', (t) => t.consumers);

  // Counters are totals kept by the media core; collect() republishes them as they are.
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (t: WorkerTotals) => Array<[Partial<Record<L, string>>, number]>,
  ): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of read(totals())) this.inc(labels as never, value);
      },
    });
  };
  counter(
    'origo_sfu_packets_total',
    'RTP packets received from publishers (in) and sent to subscribers (out)',
    ['direction'],
    (t) => [
      [{ direction: 'in' }, t.packetsIn],
      [{ direction: 'out' }, t.packetsOut],
    ],
  );
  counter('origo_sfu_bytes_total', 'RTP payload bytes received (in) and sent (out)', ['direction'], (t) => [
    [{ direction: 'in' }, t.bytesIn],
    [{ direction: 'out' }, t.bytesOut],
  ]);
  counter('origo_sfu_nacks_received_total', 'Generic NACK messages received from subscribers', [], (t) => [
    [{}, t.nacksReceived],
  ]);
  counter('origo_sfu_nacked_packets_total', 'Sequence numbers subscribers asked to retransmit', [], (t) => [
    [{}, t.nackedPackets],
  ]);
  counter(
    'origo_sfu_retransmissions_total',
    'Answers to NACKs: sent from the packet cache, or missed',
    ['result'],
    (t) => [
      [{ result: 'sent' }, t.retransmissionsSent],
      [{ result: 'missed' }, t.retransmissionsMissed],
    ],
  );
  counter(
    'origo_sfu_keyframe_requests_total',
    'PLI/FIR received from subscribers and PLI sent to publishers',
    ['direction'],
    (t) => [
      [{ direction: 'received' }, t.plisReceived],
      [{ direction: 'sent' }, t.plisSent],
    ],
  );
  counter('origo_sfu_layer_switches_total', 'Simulcast layer switches of consumers', [], (t) => [
    [{}, t.layerSwitches],
  ]);
  counter('origo_sfu_packets_dropped_total', 'Forwarded packets dropped by the egress test hook', [], (t) => [
    [{}, t.packetsDropped],
  ]);
  counter(
    'origo_sfu_contained_errors_total',
    'Errors caught at a containment boundary (bad packet, failing peer)',
    [],
    (t) => [[{}, t.containedErrors]],
  );

  new Gauge({
    name: 'origo_sfu_event_loop_lag_seconds',
    help: 'Event-loop delay of the worker since the previous scrape (perf_hooks monitorEventLoopDelay)',
    labelNames: ['quantile'] as const,
    registers,
    collect() {
      const ns = (v: number): number => (Number.isFinite(v) ? v / 1e9 : 0);
      this.set({ quantile: '0.5' }, ns(loop.percentile(50)));
      this.set({ quantile: '0.99' }, ns(loop.percentile(99)));
      this.set({ quantile: 'max' }, ns(loop.max));
      loop.reset();
    },
  });

  return { stop: () => loop.disable() };
}
