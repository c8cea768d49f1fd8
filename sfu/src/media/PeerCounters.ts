/**
 * What one peer sent to and received from the SFU: RTP payload bytes and packets, counted like the router's
 * MediaStats (plain number increments on the hot path, no allocation per packet). The media core bumps them;
 * the worker reads them when asked for stats, and a caller turns two readings into a bitrate.
 */
export class PeerCounters {
  /** RTP packets received from this peer's publisher connection. */
  packetsIn = 0;
  /** RTP payload bytes received from this peer's publisher connection. */
  bytesIn = 0;
  /** RTP packets sent on this peer's subscriber connection, retransmissions included. */
  packetsOut = 0;
  /** RTP payload bytes sent on this peer's subscriber connection, retransmissions included. */
  bytesOut = 0;
  /** NACK feedback messages received from this peer (RFC 4585 6.2.1). */
  nacksReceived = 0;
  /** PLI/FIR received from this peer (RFC 4585 6.3.1, RFC 5104 4.3.1). */
  keyframeRequestsReceived = 0;
}
