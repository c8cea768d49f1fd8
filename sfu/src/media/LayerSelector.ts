/** What the selector knows about one simulcast layer of a producer. */
export interface LayerInfo {
  /** Frame size from the last keyframe; 0 while unknown. */
  width: number;
  height: number;
  /** Measured bitrate over the last second. */
  bitrateBps: number;
  /** Packets arrived recently. */
  active: boolean;
}

export type LayerRequest = { width: number; height: number } | { quality: 0 | 1 | 2 };

export interface LayerSelectorOptions {
  /** Raise the layer only when the estimate exceeds its bitrate by this factor. Default 1.25. */
  upHeadroom?: number;
  /** Fraction of the requested size a layer may fall short of and still count. Default 0.9. */
  sizeSlack?: number;
}

/**
 * Chooses the simulcast layer a subscriber should receive: the smallest layer that covers the
 * requested size (or the requested quality), then lowered while its bitrate exceeds the
 * available bandwidth; raising needs headroom so that the choice does not flap.
 * Returns -1 when paused or when no layer is active.
 */
export class LayerSelector {
  private request: LayerRequest = { quality: 2 };
  private paused = false;
  private bandwidthBps = 0;
  private readonly upHeadroom: number;
  private readonly sizeSlack: number;

  constructor(opts: LayerSelectorOptions = {}) {
    this.upHeadroom = opts.upHeadroom ?? 1.25;
    this.sizeSlack = opts.sizeSlack ?? 0.9;
  }

  setRequest(request: LayerRequest, paused: boolean): void {
    this.request = request;
    this.paused = paused;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Available bandwidth (REMB / estimate); 0 means unknown and does not limit. */
  setBandwidth(bps: number): void {
    this.bandwidthBps = bps > 0 ? bps : 0;
  }

  get bandwidth(): number {
    return this.bandwidthBps;
  }

  /** The layer the subscriber asks for, ignoring bandwidth; -1 when paused or nothing active. */
  wanted(layers: readonly LayerInfo[]): number {
    if (this.paused) return -1;
    let lowest = -1;
    let highest = -1;
    for (let i = 0; i < layers.length; i++) {
      if (!layers[i]!.active) continue;
      if (lowest < 0) lowest = i;
      highest = i;
    }
    if (highest < 0) return -1;
    const req = this.request;
    if ('quality' in req) {
      // Nearest active layer at or below the requested quality, else the lowest above it.
      for (let i = Math.min(req.quality, layers.length - 1); i >= 0; i--) {
        if (layers[i]!.active) return i;
      }
      return lowest;
    }
    const w = req.width * this.sizeSlack;
    const h = req.height * this.sizeSlack;
    let known = false;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      if (!l.active || l.width === 0) continue;
      known = true;
      if (l.width >= w && l.height >= h) return i;
    }
    // Sizes unknown (no keyframe yet): start low, the choice is revisited once they are.
    return known ? highest : lowest;
  }

  /**
   * The layer this subscriber would take if the publisher sent all `count` layers it has: what dynacast
   * asks the publisher for. Unlike wanted() it looks past inactive layers, because a layer dynacast
   * paused is inactive, and asking only for active ones would never bring it back (a newcomer would see
   * the lowest layer for as long as the meeting lasts). -1 when paused.
   */
  desired(layers: readonly LayerInfo[], count: number): number {
    if (this.paused || count <= 0) return -1;
    const top = count - 1;
    const req = this.request;
    if ('quality' in req) return Math.min(req.quality, top);
    const w = req.width * this.sizeSlack;
    const h = req.height * this.sizeSlack;
    // Sizes from past keyframes; a layer never seen is taken as twice the one below (simulcast halves
    // the size per layer), and with no size known at all, every layer is asked for until one is.
    let width = 0;
    let height = 0;
    for (let i = 0; i <= top; i++) {
      const l = layers[i];
      if (l !== undefined && l.width > 0) {
        width = l.width;
        height = l.height;
      } else if (width > 0) {
        width *= 2;
        height *= 2;
      }
      if (width > 0 && width >= w && height >= h) return i;
    }
    return top;
  }

  /** The layer to send given the current one: wanted(), capped by bandwidth. */
  select(layers: readonly LayerInfo[], current: number): number {
    let target = this.wanted(layers);
    if (target < 0 || this.bandwidthBps === 0) return target;
    while (target > 0) {
      const l = layers[target]!;
      const need = target > current ? l.bitrateBps * this.upHeadroom : l.bitrateBps;
      if (!l.active || need > this.bandwidthBps) {
        target--;
        continue;
      }
      break;
    }
    while (target >= 0 && !layers[target]!.active) target--;
    if (target < 0) {
      for (let i = 0; i < layers.length; i++) if (layers[i]!.active) return i;
    }
    return target;
  }
}
