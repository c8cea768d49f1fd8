import { randomUUID } from 'node:crypto';
import { SafeEmitter } from './emitter.js';
import { LayerSelector, type LayerRequest } from './LayerSelector.js';
import type { MediaStats } from './MediaStats.js';
import { PeerCounters } from './PeerCounters.js';
import { Munger } from './Munger.js';
import type { CachedPacket } from './PacketCache.js';
import type { Producer, ProducerSink } from './Producer.js';
import { parseVp8, Vp8Info } from './rtp.js';
import type { InboundPacket, MediaKind, OutboundFeedback, OutboundTrack } from './transport.js';
import { rewriteVp8Ids, Vp8Munger } from './Vp8Munger.js';

export type ConsumerEvents = {
  close: [reason: string];
  /** The layer actually forwarded changed (after the keyframe), -1 when paused. */
  layerChanged: [layer: number];
};

export interface ConsumerOptions {
  /** Test hook: share (0..1) of forwarded packets dropped before sending (never retransmissions). */
  egressDropRate?: number;
  /** Test hook: return true to drop a forwarded packet (munged sequence number). */
  dropFilter?: (seq: number) => boolean;
}

/** History of sent packets, to map a NACKed (munged) sequence number back to its source. */
const HISTORY = 1024;
/** How long a congestion signal caps the layer choice to the bandwidth estimate. */
const CONGESTION_HOLD_MS = 5000;
/**
 * How long a video consumer waits for the keyframe it asked for before asking again. The request or the
 * keyframe's first packet can be lost (a loaded host drops datagrams on loopback too), and a subscriber
 * that is sent nothing has nothing to ask a keyframe about: without the retry its tile stays empty.
 */
export const KEYFRAME_RETRY_MS = 1000;

/**
 * One producer forwarded to one subscriber: picks the layer (LayerSelector), switches only at a
 * keyframe of the target layer after a throttled PLI for it, rewrites sequence numbers and
 * timestamps (Munger) and answers NACKs from the producer's cache.
 */
export class Consumer extends SafeEmitter<ConsumerEvents> implements ProducerSink, OutboundFeedback {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly selector = new LayerSelector();
  private readonly munger: Munger;
  private readonly vp8 = new Vp8Munger();
  /** Outgoing copy of a VP8 payload with its ids rewritten (send() copies synchronously). */
  private scratch = Buffer.alloc(0);
  private readonly nackVp8 = new Vp8Info();
  private current = -1;
  private target = -1;
  private dropRate: number;
  private readonly dropFilter: ((seq: number) => boolean) | undefined;
  private readonly histSeq = new Int32Array(HISTORY).fill(-1);
  private readonly histOrig = new Uint16Array(HISTORY);
  private readonly histTs = new Uint32Array(HISTORY);
  private readonly histLayer = new Int8Array(HISTORY);
  private readonly histPic = new Int32Array(HISTORY);
  private readonly histTl0 = new Int16Array(HISTORY);
  private readonly cached: CachedPacket = { seq: 0, ts: 0, marker: false, payload: Buffer.alloc(0) };
  private wasReady = false;
  private lastFractionLost = 0;
  private lastEstimate = 0;
  private capUntilMs = 0;
  /** When this consumer last asked the publisher for a keyframe of the layer it waits for. */
  private keyframeAskedMs = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Forwarded packet count, for tests and stats. */
  packetsSent = 0;
  retransmitted = 0;

  constructor(
    readonly producer: Producer,
    readonly subscriberId: string,
    readonly track: OutboundTrack,
    private readonly stats: MediaStats,
    private readonly onFail: (error: unknown) => void,
    opts: ConsumerOptions = {},
    /** The subscribing peer's counters (or a recorder forward's); its own when not shared. */
    readonly counters: PeerCounters = new PeerCounters(),
  ) {
    super();
    this.kind = producer.kind;
    this.munger = new Munger(producer.clockRate);
    this.dropRate = opts.egressDropRate ?? 0;
    this.dropFilter = opts.dropFilter;
    track.feedback = this;
    const c = track.continuity;
    if (c !== null) {
      this.munger.continueFrom(c.seq, c.ts, c.atMs);
      this.vp8.continueFrom(c.pictureId, c.tl0PicIdx);
    }
    stats.consumers++;
    this.reselect(performance.now());
    producer.addSink(this);
  }

  get producerId(): string {
    return this.producer.id;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The layer being forwarded (-1 none yet or paused). */
  get currentLayer(): number {
    return this.current;
  }

  get targetLayer(): number {
    return this.target;
  }

  /** For dynacast: the layer this consumer needs from the publisher, sent now or not. */
  get layerWanted(): number {
    if (this.kind === 'audio') return this.target;
    return this.selector.desired(this.producer.layerInfos, this.producer.layerCount);
  }

  setEgressDropRate(rate: number): void {
    this.dropRate = Math.min(1, Math.max(0, rate));
  }

  setPreferredLayers(request: LayerRequest, paused: boolean): void {
    this.selector.setRequest(request, paused);
    this.reselect(performance.now());
    // The request may want a layer the publisher has paused: tell it now, not at the next tick.
    this.producer.updateDynacast();
  }

  /**
   * Receiver-side estimates (REMB) are app-limited: libwebrtc keeps them near 1.5x of what it
   * receives, so a low layer alone never earns the budget of a higher one. The estimate is
   * therefore applied as a cap only after a congestion signal (the estimate falling by 10% or
   * more, or receiver-reported loss over 10%), for CONGESTION_HOLD_MS; otherwise the wanted
   * layer is sent. Probing with padding (LiveKit's allocator) would do better; not done yet.
   */
  setBandwidth(bps: number, nowMs = performance.now()): void {
    const prev = this.lastEstimate;
    this.lastEstimate = bps;
    if (prev > 0 && bps < prev * 0.9) this.capUntilMs = nowMs + CONGESTION_HOLD_MS;
    this.applyCap(nowMs);
  }

  private applyCap(nowMs: number): void {
    const capped = nowMs < this.capUntilMs;
    this.selector.setBandwidth(capped ? this.lastEstimate : 0);
  }

  // ---- ProducerSink ----

  onPacket(layer: number, p: InboundPacket, keyframe: boolean, nowMs: number, vp8: Vp8Info | null): void {
    const track = this.track;
    if (!track.ready) {
      this.wasReady = false;
      return;
    }
    if (!this.wasReady) {
      // First packet after the transport became ready: the decoder needs a keyframe now.
      this.wasReady = true;
      if (this.kind === 'video') {
        this.current = -1;
        this.askKeyframe(this.target, nowMs);
      }
    }
    if (layer !== this.current) {
      if (layer !== this.target) return;
      if (this.kind === 'video' && !keyframe) {
        // Waiting for the switch: the target layer flows, but its keyframe has not come.
        if (nowMs - this.keyframeAskedMs >= KEYFRAME_RETRY_MS) this.askKeyframe(layer, nowMs);
        return;
      }
      // Switch point: the first packet of a keyframe of the target layer.
      if (this.current >= 0) this.stats.layerSwitches++;
      this.current = layer;
      this.munger.rebase(p.seq, p.ts, nowMs);
      if (vp8 !== null) this.vp8.rebase(vp8);
      this.safeEmit('layerChanged', layer);
    }
    const m = this.munger;
    if (!m.map(p.seq, p.ts, nowMs)) return;
    const seq = m.outSeq;
    const h = seq & (HISTORY - 1);
    this.histSeq[h] = seq;
    this.histOrig[h] = p.seq;
    this.histTs[h] = m.outTs;
    this.histLayer[h] = layer;
    let payload = p.payload;
    if (vp8 !== null && (vp8.pictureIdOffset >= 0 || vp8.tl0Offset >= 0)) {
      this.vp8.map(vp8);
      this.histPic[h] = this.vp8.outPictureId;
      this.histTl0[h] = this.vp8.outTl0;
      payload = this.rewritten(payload, vp8, this.vp8.outPictureId, this.vp8.outTl0);
    } else {
      this.histPic[h] = -1;
      this.histTl0[h] = -1;
    }
    if (
      (this.dropRate > 0 && Math.random() < this.dropRate) ||
      (this.dropFilter !== undefined && this.dropFilter(seq))
    ) {
      this.stats.packetsDropped++;
      return;
    }
    track.send(seq, m.outTs, p.marker, payload);
    this.packetsSent++;
    const len = payload.length;
    this.stats.packetsOut++;
    this.stats.bytesOut += len;
    this.counters.packetsOut++;
    this.counters.bytesOut += len;
  }

  /** The payload with its VP8 ids replaced, in this consumer's scratch buffer. */
  private rewritten(src: Buffer, info: Vp8Info, pictureId: number, tl0: number): Buffer {
    if (this.scratch.length < src.length) this.scratch = Buffer.allocUnsafe(Math.max(1500, src.length));
    const n = rewriteVp8Ids(src, info, pictureId, tl0, this.scratch);
    return this.scratch.subarray(0, n);
  }

  onLayersChanged(nowMs: number): void {
    if (this.capUntilMs > 0 && nowMs >= this.capUntilMs) {
      this.capUntilMs = 0;
      this.applyCap(nowMs);
    }
    this.reselect(nowMs);
  }

  producerClosed(): void {
    this.close('producerclose');
  }

  fail(error: unknown): void {
    this.onFail(error);
  }

  // ---- OutboundFeedback (from the subscriber) ----

  onNack(seqs: readonly number[]): void {
    if (this.closed) return;
    const stats = this.stats;
    const counters = this.counters;
    stats.nacksReceived++;
    counters.nacksReceived++;
    const now = performance.now();
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      stats.nackedPackets++;
      const h = seq & (HISTORY - 1);
      if (this.histSeq[h] !== seq) {
        stats.retransmissionsMissed++;
        continue;
      }
      const cache = this.producer.cacheOf(this.histLayer[h]!);
      if (!cache || !cache.get(this.histOrig[h]!, this.cached, now)) {
        stats.retransmissionsMissed++;
        continue;
      }
      // RFC 4588 is not negotiated towards subscribers: resend on the media SSRC with the same
      // munged sequence number, timestamp and VP8 ids the subscriber saw.
      let payload = this.cached.payload;
      const pic = this.histPic[h]!;
      const tl0 = this.histTl0[h]!;
      if ((pic >= 0 || tl0 >= 0) && parseVp8(payload, this.nackVp8))
        payload = this.rewritten(payload, this.nackVp8, pic, tl0);
      this.track.send(seq, this.histTs[h]!, this.cached.marker, payload);
      this.retransmitted++;
      stats.retransmissionsSent++;
      stats.packetsOut++;
      stats.bytesOut += payload.length;
      counters.packetsOut++;
      counters.bytesOut += payload.length;
    }
  }

  onKeyframeRequest(): void {
    if (this.closed) return;
    this.stats.plisReceived++;
    this.counters.keyframeRequestsReceived++;
    const layer = this.current >= 0 ? this.current : this.target;
    if (layer >= 0) this.producer.requestKeyframe(layer);
  }

  onReceiverReport(fractionLost: number, _jitter: number): void {
    this.lastFractionLost = fractionLost;
    if (fractionLost > 0.1 && this.dropRate === 0) {
      const now = performance.now();
      this.capUntilMs = now + CONGESTION_HOLD_MS;
      this.applyCap(now);
    }
  }

  get fractionLost(): number {
    return this.lastFractionLost;
  }

  /** Re-evaluates the target layer; asks for a keyframe when it changes. */
  private reselect(nowMs: number): void {
    if (this.closed) return;
    if (this.kind === 'audio') {
      this.target = this.selector.isPaused ? -1 : 0;
      if (this.target < 0) this.current = -1;
      return;
    }
    const next = this.selector.select(this.producer.layerInfos, this.current);
    if (next !== this.target) {
      this.target = next;
      this.producer.updateDynacast();
    }
    if (next < 0) {
      if (this.current >= 0) {
        this.current = -1;
        this.safeEmit('layerChanged', -1);
      }
      return;
    }
    if (next !== this.current) this.askKeyframe(next, nowMs);
  }

  private askKeyframe(layer: number, nowMs: number): void {
    this.keyframeAskedMs = nowMs;
    this.producer.requestKeyframe(layer, nowMs);
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.stats.consumers--;
    this.producer.removeSink(this);
    this.track.feedback = null;
    if (this.munger.isStarted && this.packetsSent > 0) {
      this.track.continuity = {
        seq: this.munger.highestOutSeq,
        ts: this.munger.highestOutTs,
        atMs: this.munger.lastSentAtMs,
        pictureId: this.vp8.lastPictureId,
        tl0PicIdx: this.vp8.lastTl0PicIdx,
      };
    }
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }
}
