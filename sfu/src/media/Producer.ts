import { randomUUID } from 'node:crypto';
import { SafeEmitter } from './emitter.js';
import type { LayerInfo } from './LayerSelector.js';
import type { MediaStats } from './MediaStats.js';
import { PacketCache } from './PacketCache.js';
import { PeerCounters } from './PeerCounters.js';
import { PliThrottle } from './PliThrottle.js';
import { isH264Keyframe, parseVp8, Vp8Info } from './rtp.js';
import type { CodecInfo, InboundPacket, InboundTrack, MediaKind } from './transport.js';

/** Quality index of the rids Chromium and libwebrtc use; other rids are ordered by the meta. */
const RID_QUALITY: Record<string, number> = { q: 0, h: 1, f: 2 };

export interface SubscribedQuality {
  quality: number;
  rid: string | undefined;
  enabled: boolean;
}

export type ProducerEvents = {
  close: [reason: string];
  /** Dynacast: which layers any consumer wants; signaling tells the publisher to pause the rest. */
  subscribedQualities: [qualities: SubscribedQuality[]];
  layersChanged: [];
};

/** Per-layer receive state. Implements LayerInfo for the selectors. */
export class ProducerLayer implements LayerInfo {
  width = 0;
  height = 0;
  bitrateBps = 0;
  active = false;
  lastPacketMs = 0;
  lastKeyframeMs = 0;
  keyframes = 0;
  packets = 0;
  windowBytes = 0;
  constructor(
    readonly index: number,
    readonly rid: string | undefined,
    readonly track: InboundTrack,
    readonly cache: PacketCache | null,
  ) {}
}

/** What a Producer needs from its consumers (Consumer implements it). */
export interface ProducerSink {
  readonly layerWanted: number;
  /** `vp8` is the parsed VP8 descriptor of the packet (valid during the call), null for other codecs. */
  onPacket(layer: number, packet: InboundPacket, keyframe: boolean, nowMs: number, vp8: Vp8Info | null): void;
  onLayersChanged(nowMs: number): void;
  producerClosed(): void;
  /** Closes the subscriber's peer after a contained failure. */
  fail(error: unknown): void;
}

export interface ProducerInit {
  /** Id of the track this producer carries (chosen by the owner of the router); random when absent. */
  id?: string;
  peerId: string;
  mid: string;
  kind: MediaKind;
  codec: CodecInfo;
  source: string;
  /** rid order from the publisher's meta, low to high, when rids are not q/h/f. */
  ridOrder: string[];
  stats: MediaStats;
  /** The publishing peer's counters; the producer's own when not given. */
  counters?: PeerCounters;
  pliIntervalMs: number;
  cacheSize: number;
  /** Receives audio levels for speaker detection; -1 slot means none. */
  onAudioLevel: ((producer: Producer, level: number) => void) | null;
}

/**
 * One published track: a layer per simulcast stream, a packet cache per layer for NACKs, keyframe
 * and size tracking per layer, audio levels for speaker detection, fan-out to consumers.
 */
export class Producer extends SafeEmitter<ProducerEvents> {
  readonly id: string;
  readonly peerId: string;
  readonly mid: string;
  readonly kind: MediaKind;
  readonly codec: CodecInfo;
  readonly source: string;
  readonly clockRate: number;
  /** Indexed by quality; holes for layers not (yet) seen. */
  readonly layers: (ProducerLayer | undefined)[] = [];
  /** Dense view for the selectors: inactive placeholders where a layer is missing. */
  readonly layerInfos: LayerInfo[] = [];
  speakerSlot = -1;
  private sinks: ProducerSink[] = [];
  private readonly stats: MediaStats;
  readonly counters: PeerCounters;
  private readonly throttle: PliThrottle;
  private readonly vp8 = new Vp8Info();
  private readonly isVp8: boolean;
  private readonly isH264: boolean;
  private readonly ridOrder: string[];
  private readonly cacheSize: number;
  private readonly onAudioLevel: ProducerInit['onAudioLevel'];
  private lastTickMs = 0;
  private lastQualities = '';
  private closed = false;
  /** Per layer, the keyframe request waiting for the end of the throttle interval. */
  private readonly deferredPli: (NodeJS.Timeout | undefined)[] = [];

  constructor(init: ProducerInit) {
    super();
    this.id = init.id ?? randomUUID();
    this.peerId = init.peerId;
    this.mid = init.mid;
    this.kind = init.kind;
    this.codec = init.codec;
    this.source = init.source;
    this.clockRate = init.codec.clockRate;
    this.stats = init.stats;
    this.counters = init.counters ?? new PeerCounters();
    this.throttle = new PliThrottle(init.pliIntervalMs, 4);
    const mime = init.codec.mimeType.toLowerCase();
    this.isVp8 = mime === 'video/vp8';
    this.isH264 = mime === 'video/h264';
    this.ridOrder = init.ridOrder;
    this.cacheSize = init.cacheSize;
    this.onAudioLevel = init.onAudioLevel;
    init.stats.producers++;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get consumerCount(): number {
    return this.sinks.length;
  }

  /** Simulcast layers the publisher has (announced rids, or seen), whether it sends them now or not. */
  get layerCount(): number {
    return Math.min(3, Math.max(this.ridOrder.length, this.layers.length));
  }

  /** The rid of the layer at quality `q`: seen, or announced. */
  private ridAt(q: number): string | undefined {
    return (
      this.layers[q]?.rid ??
      this.ridOrder.find((rid) => (RID_QUALITY[rid] ?? this.ridOrder.indexOf(rid)) === q)
    );
  }

  /** Adds the stream of one simulcast layer (or the only stream). */
  addTrack(track: InboundTrack): void {
    if (this.closed) return;
    const index = this.qualityOf(track.rid);
    if (this.layers[index]) return;
    const cache = this.kind === 'video' ? new PacketCache({ size: this.cacheSize }) : null;
    const layer = new ProducerLayer(index, track.rid, track, cache);
    this.layers[index] = layer;
    for (let i = 0; i <= index; i++) {
      this.layerInfos[i] = this.layers[i] ?? { width: 0, height: 0, bitrateBps: 0, active: false };
    }
    // One closure per layer, none per packet.
    track.onPacket = (p) => this.onPacket(layer, p);
  }

  private qualityOf(rid: string | undefined): number {
    if (rid === undefined) return 0;
    const fixed = RID_QUALITY[rid];
    if (fixed !== undefined) return fixed;
    const i = this.ridOrder.indexOf(rid);
    if (i >= 0) return Math.min(i, 2);
    const free = this.layers.findIndex((l) => l === undefined);
    return free >= 0 ? free : Math.min(this.layers.length, 2);
  }

  /** Hot path: one call per received packet. */
  private onPacket(layer: ProducerLayer, p: InboundPacket): void {
    if (this.closed) return;
    const now = performance.now();
    const stats = this.stats;
    const len = p.payload.length;
    stats.packetsIn++;
    stats.bytesIn += len;
    const counters = this.counters;
    counters.packetsIn++;
    counters.bytesIn += len;
    layer.packets++;
    layer.windowBytes += len + 12;
    layer.lastPacketMs = now;
    let keyframe = false;
    let vp8: Vp8Info | null = null;
    if (this.kind === 'video') {
      if (this.isVp8) {
        if (parseVp8(p.payload, this.vp8)) vp8 = this.vp8;
        if (vp8 !== null && vp8.keyframe) {
          keyframe = true;
          if (this.vp8.width > 0) {
            layer.width = this.vp8.width;
            layer.height = this.vp8.height;
          }
        }
      } else if (this.isH264) {
        keyframe = isH264Keyframe(p.payload);
      }
      if (keyframe) {
        layer.lastKeyframeMs = now;
        layer.keyframes++;
      }
      layer.cache!.put(p.seq, p.ts, p.marker, p.payload, now);
      if (!layer.active) {
        layer.active = true;
        this.layersChangedAt(now);
      }
    } else if (p.audioLevel >= 0 && this.onAudioLevel !== null) {
      this.onAudioLevel(this, p.audioLevel);
    }
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) {
      const s = sinks[i]!;
      try {
        s.onPacket(layer.index, p, keyframe, now, vp8);
      } catch (error) {
        stats.containedErrors++;
        queueMicrotask(() => s.fail(error));
      }
    }
  }

  /**
   * Asks the publisher for a keyframe on a layer, at most once per interval per layer. A request inside
   * the interval is kept (one per layer) and sent when the interval ends: the keyframe of the earlier
   * request may have gone by before this subscriber could use it (its transport not yet connected), and
   * dropping the request would leave it waiting for the receiver's own, slower, retries.
   */
  requestKeyframe(layerIndex: number, nowMs = performance.now()): boolean {
    if (this.closed || this.kind !== 'video') return false;
    const layer = this.layers[layerIndex];
    if (!layer) return false;
    if (!this.throttle.allow(layerIndex, nowMs)) {
      this.deferKeyframe(layerIndex, nowMs);
      return false;
    }
    this.stats.plisSent++;
    layer.track.requestKeyframe();
    return true;
  }

  private deferKeyframe(layerIndex: number, nowMs: number): void {
    if (this.deferredPli[layerIndex] !== undefined) return;
    const timer = setTimeout(
      () => {
        this.deferredPli[layerIndex] = undefined;
        this.requestKeyframe(layerIndex);
      },
      this.throttle.waitMs(layerIndex, nowMs) + 1,
    );
    timer.unref();
    this.deferredPli[layerIndex] = timer;
  }

  /** Reads a cached packet of a layer for a retransmission. */
  cacheOf(layerIndex: number): PacketCache | null {
    return this.layers[layerIndex]?.cache ?? null;
  }

  addSink(sink: ProducerSink): void {
    if (this.closed) return;
    this.sinks = [...this.sinks, sink];
  }

  removeSink(sink: ProducerSink): void {
    const next = this.sinks.filter((s) => s !== sink);
    if (next.length !== this.sinks.length) {
      this.sinks = next;
      this.updateDynacast();
    }
  }

  /** Periodic work (router timer): bitrates, layer activity, dynacast. */
  tick(nowMs: number): void {
    if (this.closed) return;
    const elapsed = this.lastTickMs > 0 ? nowMs - this.lastTickMs : 0;
    this.lastTickMs = nowMs;
    let changed = false;
    for (const l of this.layers) {
      if (!l) continue;
      if (elapsed > 0) {
        const rate = (l.windowBytes * 8 * 1000) / elapsed;
        l.bitrateBps = l.bitrateBps === 0 ? rate : l.bitrateBps * 0.5 + rate * 0.5;
      }
      l.windowBytes = 0;
      const active = nowMs - l.lastPacketMs < 1500 && l.packets > 0;
      if (active !== l.active) {
        l.active = active;
        changed = true;
      }
    }
    if (changed) this.layersChangedAt(nowMs);
    for (const s of this.sinks) {
      try {
        s.onLayersChanged(nowMs);
      } catch (error) {
        this.stats.containedErrors++;
        queueMicrotask(() => s.fail(error));
      }
    }
    this.updateDynacast();
  }

  private layersChangedAt(_nowMs: number): void {
    this.safeEmit('layersChanged');
  }

  /** Recomputes the wanted layers; emits subscribedQualities when the set changes. */
  updateDynacast(): void {
    if (this.closed || this.kind !== 'video') return;
    const wanted = [false, false, false];
    for (const s of this.sinks) {
      const w = s.layerWanted;
      if (w >= 0 && w < 3) wanted[w] = true;
    }
    const qualities: SubscribedQuality[] = [];
    // Layers announced but not seen yet are listed too: a publisher that paused them before any packet
    // arrived must still be asked to send them.
    const count = Math.max(1, this.layerCount);
    for (let q = 0; q < count; q++) {
      if (!this.layers[q] && q > 0 && this.ridAt(q) === undefined) continue;
      qualities.push({ quality: q, rid: this.ridAt(q), enabled: wanted[q]! });
    }
    const key = qualities.map((q) => (q.enabled ? '1' : '0')).join('');
    if (key === this.lastQualities) return;
    this.lastQualities = key;
    this.safeEmit('subscribedQualities', qualities);
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.stats.producers--;
    for (const t of this.deferredPli) if (t !== undefined) clearTimeout(t);
    this.deferredPli.length = 0;
    for (const l of this.layers) {
      if (l) {
        l.track.onPacket = null;
        l.cache?.clear();
      }
    }
    const sinks = this.sinks;
    this.sinks = [];
    for (const s of sinks) {
      try {
        s.producerClosed();
      } catch {
        this.stats.containedErrors++;
      }
    }
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }
}
