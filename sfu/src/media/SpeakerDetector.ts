export interface SpeakerDetectorOptions {
  /** Smoothed loudness (127 - level in -dBov) at which a source becomes a speaker. Default 77 (-50 dBov). */
  activateLoudness?: number;
  /** Loudness below which an active speaker stops. Default 67 (-60 dBov); the gap is hysteresis. */
  deactivateLoudness?: number;
  /** Weight of the newest tick in the moving average, 0..1. Default 0.4. */
  smoothing?: number;
  /** Consecutive ticks above / below the thresholds before a change. Default 2. */
  holdTicks?: number;
  /** At most this many speakers are reported. Default 3. */
  maxSpeakers?: number;
}

export interface Speaker {
  key: string;
  /** Smoothed loudness 0..127, higher is louder. */
  loudness: number;
}

/**
 * Active speaker detection over RFC 6464 audio levels. Levels are accumulated per packet into
 * per-slot sums (no allocation), averaged per tick, smoothed, and turned into a speaker set with
 * hysteresis so that the set does not flicker.
 */
export class SpeakerDetector {
  private readonly activate: number;
  private readonly deactivate: number;
  private readonly alpha: number;
  private readonly hold: number;
  private readonly max: number;
  private keys: (string | null)[] = [];
  private sums = new Float64Array(8);
  private counts = new Uint32Array(8);
  private smoothed = new Float64Array(8);
  private above = new Uint16Array(8);
  private below = new Uint16Array(8);
  private active = new Uint8Array(8);
  private current: Speaker[] = [];

  constructor(opts: SpeakerDetectorOptions = {}) {
    this.activate = opts.activateLoudness ?? 77;
    this.deactivate = opts.deactivateLoudness ?? 67;
    this.alpha = opts.smoothing ?? 0.4;
    this.hold = opts.holdTicks ?? 2;
    this.max = opts.maxSpeakers ?? 3;
  }

  /** Registers a source and returns its slot, used by addLevel on the hot path. */
  register(key: string): number {
    let slot = this.keys.indexOf(null);
    if (slot < 0) {
      slot = this.keys.length;
      this.keys.push(key);
      if (slot >= this.sums.length) this.grow();
    } else {
      this.keys[slot] = key;
    }
    this.resetSlot(slot);
    return slot;
  }

  unregister(slot: number): void {
    if (slot < 0 || slot >= this.keys.length) return;
    this.keys[slot] = null;
    this.resetSlot(slot);
  }

  /** Adds one packet's level: 0 (loudest) .. 127 (silence), in -dBov. */
  addLevel(slot: number, level: number): void {
    if (slot < 0 || slot >= this.keys.length || level < 0) return;
    this.sums[slot]! += 127 - (level > 127 ? 127 : level);
    this.counts[slot]! += 1;
  }

  /** Ends a window; returns true when the ordered speaker list changed. */
  tick(): boolean {
    const next: Speaker[] = [];
    for (let s = 0; s < this.keys.length; s++) {
      const key = this.keys[s];
      if (key == null) continue;
      const n = this.counts[s]!;
      const avg = n > 0 ? this.sums[s]! / n : 0;
      this.sums[s] = 0;
      this.counts[s] = 0;
      const sm = this.smoothed[s]! * (1 - this.alpha) + avg * this.alpha;
      this.smoothed[s] = sm;
      if (this.active[s]) {
        this.below[s] = sm < this.deactivate ? this.below[s]! + 1 : 0;
        if (this.below[s]! >= this.hold) this.active[s] = 0;
      } else {
        this.above[s] = sm >= this.activate ? this.above[s]! + 1 : 0;
        if (this.above[s]! >= this.hold) this.active[s] = 1;
      }
      if (this.active[s]) next.push({ key, loudness: Math.round(sm) });
    }
    next.sort((a, b) => b.loudness - a.loudness);
    if (next.length > this.max) next.length = this.max;
    const changed =
      next.length !== this.current.length || next.some((sp, i) => sp.key !== this.current[i]!.key);
    this.current = next;
    return changed;
  }

  get speakers(): readonly Speaker[] {
    return this.current;
  }

  private resetSlot(s: number): void {
    this.sums[s] = 0;
    this.counts[s] = 0;
    this.smoothed[s] = 0;
    this.above[s] = 0;
    this.below[s] = 0;
    this.active[s] = 0;
  }

  private grow(): void {
    const n = this.sums.length * 2;
    const g = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.sums = g(this.sums, new Float64Array(n));
    this.counts = g(this.counts, new Uint32Array(n));
    this.smoothed = g(this.smoothed, new Float64Array(n));
    this.above = g(this.above, new Uint16Array(n));
    this.below = g(this.below, new Uint16Array(n));
    this.active = g(this.active, new Uint8Array(n));
  }
}
