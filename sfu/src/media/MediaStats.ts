/** A snapshot of the media counters, as the worker exports them to Prometheus. */
export interface MediaStatsSnapshot {
  peers: number;
  producers: number;
  consumers: number;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  packetsDropped: number;
  nacksReceived: number;
  nackedPackets: number;
  retransmissionsSent: number;
  retransmissionsMissed: number;
  plisReceived: number;
  plisSent: number;
  layerSwitches: number;
  containedErrors: number;
}

/**
 * Plain counters bumped on the hot path (no prom-client call per packet). One instance per worker
 * is shared by its routers; the worker reads collect() on scrape.
 */
export class MediaStats {
  peers = 0;
  producers = 0;
  consumers = 0;
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** Forwarded packets dropped on purpose (egressDropRate / dropFilter test hook). */
  packetsDropped = 0;
  /** NACK feedback messages received from subscribers. */
  nacksReceived = 0;
  /** Sequence numbers those NACKs asked for. */
  nackedPackets = 0;
  retransmissionsSent = 0;
  /** NACKed packets no longer (or never) in the cache. */
  retransmissionsMissed = 0;
  /** PLI/FIR received from subscribers. */
  plisReceived = 0;
  /** PLI sent to publishers (after throttling). */
  plisSent = 0;
  layerSwitches = 0;
  /** Exceptions caught at a containment boundary (bad packet, failing peer). */
  containedErrors = 0;

  collect(): MediaStatsSnapshot {
    return {
      peers: this.peers,
      producers: this.producers,
      consumers: this.consumers,
      packetsIn: this.packetsIn,
      bytesIn: this.bytesIn,
      packetsOut: this.packetsOut,
      bytesOut: this.bytesOut,
      packetsDropped: this.packetsDropped,
      nacksReceived: this.nacksReceived,
      nackedPackets: this.nackedPackets,
      retransmissionsSent: this.retransmissionsSent,
      retransmissionsMissed: this.retransmissionsMissed,
      plisReceived: this.plisReceived,
      plisSent: this.plisSent,
      layerSwitches: this.layerSwitches,
      containedErrors: this.containedErrors,
    };
  }
}
