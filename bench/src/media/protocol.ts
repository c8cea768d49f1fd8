// Messages between the generator (parent) and the SFU child over Node's IPC channel.

export type TransportTarget = 'publisher' | 'subscriber';

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface TrackMetaMsg {
  mid: string;
  source?: string;
}

export type ToSfu =
  | { op: 'createPeer'; reqId: number; id: string; subscribeAll: boolean }
  | { op: 'pubOffer'; reqId: number; id: string; sdp: string; meta: TrackMetaMsg[] }
  | { op: 'subAnswer'; reqId: number; id: string; sdp: string }
  | { op: 'ice'; id: string; target: TransportTarget; candidate: IceCandidateInit | null }
  | { op: 'closePeer'; reqId: number; id: string }
  /** gc: run a full collection first (memory samples only; the child runs with --expose-gc). */
  | { op: 'measure'; reqId: number; gc?: boolean }
  | { op: 'exit' };

/** Counters the SFU child reports; cumulative since it started. */
export interface SfuMeasure {
  /** process.cpuUsage() of the child, microseconds. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** utime + stime from /proc/self/stat in microseconds (cross-check); -1 when unreadable. */
  procCpuUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Event loop utilization since the previous measure (0..1). */
  elu: number;
  /** Event loop delay p99 since the previous measure, ms. */
  loopDelayP99Ms: number;
  stats: Record<string, number>;
  peers: number;
  wallMs: number;
}

export type FromSfu =
  | { ev: 'ready'; pid: number; source: string }
  | { ev: 'reply'; reqId: number; ok: boolean; value?: unknown; error?: string }
  | { ev: 'subscriberOffer'; id: string; sdp: string }
  | { ev: 'iceCandidate'; id: string; target: TransportTarget; candidate: IceCandidateInit | null }
  | { ev: 'connectionState'; id: string; target: TransportTarget; state: string }
  | { ev: 'peerClosed'; id: string; reason: string };
