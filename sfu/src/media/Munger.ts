import { seqDiff } from './rtp.js';

/**
 * Rewrites sequence numbers and timestamps of one outgoing stream so that switching its
 * source (a simulcast layer) looks to the decoder like one continuous stream: sequence numbers
 * follow on without a gap and timestamps keep advancing (the RTP munger of LiveKit / ion-sfu).
 * The SSRC is rewritten by the sender. A switch must be made at a keyframe.
 */
export class Munger {
  /** Outputs of the last successful map(). */
  outSeq = 0;
  outTs = 0;

  private started = false;
  private seqOffset = 0;
  private tsOffset = 0;
  /** First input sequence number of the current source; older packets are dropped. */
  private baseInSeq = 0;
  private lastOutSeq = 0;
  private lastOutTs = 0;
  private lastOutAtMs = 0;
  /** Started by continueFrom(), no source rebased yet. */
  private awaitingSource = false;

  constructor(readonly clockRate: number) {}

  get isStarted(): boolean {
    return this.started;
  }

  /** Highest sequence number sent so far. */
  get highestOutSeq(): number {
    return this.lastOutSeq;
  }

  get highestOutTs(): number {
    return this.lastOutTs;
  }

  /** performance.now() of the highest packet sent. */
  get lastSentAtMs(): number {
    return this.lastOutAtMs;
  }

  /**
   * Starts as the continuation of a stream that ended at (seq, ts) at `atMs` (an m-line reused for a new
   * track): the first source is then treated like a switch, continuing sequence numbers and timestamps.
   */
  continueFrom(seq: number, ts: number, atMs: number): void {
    this.started = true;
    this.seqOffset = 0;
    this.tsOffset = 0;
    this.lastOutSeq = seq & 0xffff;
    this.lastOutTs = ts >>> 0;
    this.lastOutAtMs = atMs;
    // No source yet: map() must refuse packets until the first rebase.
    this.baseInSeq = 0;
    this.awaitingSource = true;
  }

  /**
   * Makes the packet (inSeq, inTs) of a new source the next one of the output stream: its
   * sequence number is highest + 1 and its timestamp advances by the wall time since the last
   * packet sent (at least 1 tick). The first call starts the stream without any offset.
   */
  rebase(inSeq: number, inTs: number, nowMs: number): void {
    if (!this.started) {
      this.seqOffset = 0;
      this.tsOffset = 0;
      this.started = true;
      this.lastOutSeq = (inSeq - 1) & 0xffff;
      this.lastOutTs = inTs >>> 0;
      this.lastOutAtMs = nowMs;
    } else {
      const elapsed = nowMs - this.lastOutAtMs;
      const step = Math.max(1, Math.round((elapsed * this.clockRate) / 1000));
      this.seqOffset = (this.lastOutSeq + 1 - inSeq) & 0xffff;
      this.tsOffset = (this.lastOutTs + step - inTs) >>> 0;
    }
    this.baseInSeq = inSeq;
    this.awaitingSource = false;
  }

  /**
   * Maps an input packet of the current source. False when the packet predates the current
   * source (sent before the switch point) or the munger has not started; such packets must be
   * dropped, or their sequence numbers would collide with packets already sent.
   */
  map(inSeq: number, inTs: number, nowMs: number): boolean {
    if (!this.started || this.awaitingSource) return false;
    if (seqDiff(inSeq, this.baseInSeq) < 0) return false;
    const outSeq = (inSeq + this.seqOffset) & 0xffff;
    const outTs = (inTs + this.tsOffset) >>> 0;
    this.outSeq = outSeq;
    this.outTs = outTs;
    if (seqDiff(outSeq, this.lastOutSeq) > 0) {
      this.lastOutSeq = outSeq;
      this.lastOutTs = outTs;
      this.lastOutAtMs = nowMs;
    }
    return true;
  }

  reset(): void {
    this.started = false;
    this.awaitingSource = false;
    this.seqOffset = 0;
    this.tsOffset = 0;
  }
}
