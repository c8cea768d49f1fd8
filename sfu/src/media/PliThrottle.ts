/**
 * At most one keyframe request per layer per interval, so that many subscribers asking at once
 * (or one asking in a loop) cost the publisher one keyframe, not a storm of them. A request refused here is
 * not dropped by the Producer: it goes out once the interval ends (see Producer.requestKeyframe).
 */
export class PliThrottle {
  private readonly last: Float64Array;

  constructor(
    readonly intervalMs = 500,
    layers = 4,
  ) {
    this.last = new Float64Array(layers).fill(Number.NEGATIVE_INFINITY);
  }

  /** True (and records the time) when a request for this layer may go out now. */
  allow(layer: number, nowMs: number): boolean {
    if (layer < 0 || layer >= this.last.length) return false;
    if (nowMs - this.last[layer]! < this.intervalMs) return false;
    this.last[layer] = nowMs;
    return true;
  }

  /** How long until a request for this layer may go out (0: now). */
  waitMs(layer: number, nowMs: number): number {
    if (layer < 0 || layer >= this.last.length) return 0;
    return Math.max(0, this.last[layer]! + this.intervalMs - nowMs);
  }

  reset(layer: number): void {
    if (layer >= 0 && layer < this.last.length) this.last[layer] = Number.NEGATIVE_INFINITY;
  }
}
