import { Consumer, type ConsumerOptions } from './Consumer.js';
import { SafeEmitter } from './emitter.js';
import {
  IceGenerationLostError,
  InvalidArgumentError,
  InvalidStateError,
  NotFoundError,
  SdpRejectedError,
} from './errors.js';
import type { LayerRequest } from './LayerSelector.js';
import type { MediaStats } from './MediaStats.js';
import { PeerCounters } from './PeerCounters.js';
import type { Producer } from './Producer.js';
import { looksLikeSdp } from './sdp.js';
import type {
  IceCandidateInit,
  InboundTrack,
  MediaKind,
  PublisherTransport,
  SubscriberTransport,
  TransportConnectionState,
  TransportFactory,
  TransportTarget,
} from './transport.js';

/** What the client says about each track it publishes, sent with its offer. */
export interface TrackMeta {
  /** m-line id in the client's offer. */
  mid: string;
  /** Id for the producer of this m-line (the track id the router's owner gave it); random when absent. */
  trackId?: string;
  /** camera, microphone, screen... carried into Producer.source. */
  source?: string;
  /** Simulcast rids from low to high quality when they are not Chromium's q/h/f. */
  rids?: string[];
}

export type PeerEvents = {
  /** The SFU needs the client to apply this offer on its subscriber connection and answer. */
  subscriberOffer: [sdp: string];
  /** Trickle ICE: send to the client for the given connection; null means end of candidates. */
  iceCandidate: [target: TransportTarget, candidate: IceCandidateInit | null];
  connectionState: [target: TransportTarget, state: TransportConnectionState];
  producerAdded: [producer: Producer];
  consumerAdded: [consumer: Consumer];
  consumerClosed: [consumerId: string, producerId: string, reason: string];
  close: [reason: string];
};

export interface PeerOptions extends ConsumerOptions {
  /** Close the peer when a connection stays failed this long (ms). Default 10000. */
  failedTimeoutMs?: number;
}

/** The Router side a Peer uses: producer registry, stats, tunables. */
export interface PeerHost {
  readonly stats: MediaStats;
  readonly transports: TransportFactory;
  getProducer(id: string): Producer | undefined;
  createProducer(
    peer: Peer,
    mid: string,
    kind: MediaKind,
    track: InboundTrack,
    meta: TrackMeta | undefined,
  ): Producer;
  peerClosed(peer: Peer, reason: string): void;
}

/**
 * One participant: a publisher connection (the client offers, LiveKit style) and a subscriber
 * connection (the SFU offers). Signaling calls these methods and relays the events.
 */
export class Peer extends SafeEmitter<PeerEvents> {
  readonly publisher: PublisherTransport;
  readonly subscriber: SubscriberTransport;
  /** Bytes and packets this participant sent to and received from the SFU since the peer was created. */
  readonly counters = new PeerCounters();
  private readonly producersByMid = new Map<string, Producer>();
  private readonly consumers = new Map<string, Consumer>();
  private meta = new Map<string, TrackMeta>();
  private pubChain: Promise<unknown> = Promise.resolve();
  private negotiating = false;
  private negotiateAgain = false;
  private negotiateScheduled = false;
  private iceRestartPending = false;
  private awaitingAnswer = false;
  /** A subscriber offer went out at least once (there is a session whose ICE can be restarted). */
  private offered = false;
  private failedTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly opts: PeerOptions;

  constructor(
    readonly participantId: string,
    private readonly host: PeerHost,
    opts: PeerOptions = {},
  ) {
    super();
    this.opts = { ...opts };
    this.publisher = host.transports.createPublisher();
    this.subscriber = host.transports.createSubscriber();
    host.stats.peers++;
    this.wire(this.publisher, 'publisher');
    this.wire(this.subscriber, 'subscriber');
    this.publisher.onTrack = (track) => this.onInboundTrack(track);
    this.subscriber.onBandwidthEstimate = (bps) => this.onBandwidth(bps);
  }

  private wire(t: PublisherTransport | SubscriberTransport, target: TransportTarget): void {
    t.onIceCandidate = (c) => this.safeEmit('iceCandidate', target, c);
    t.onConnectionState = (state) => {
      this.safeEmit('connectionState', target, state);
      if (state === 'failed') this.armFailedTimer();
      else if (state === 'connected') this.clearFailedTimer();
    };
    t.onFatal = (error) => {
      this.host.stats.containedErrors++;
      this.close(`error: ${error instanceof Error ? error.message : String(error)}`);
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get producers(): Producer[] {
    return [...this.producersByMid.values()];
  }

  getConsumers(): Consumer[] {
    return [...this.consumers.values()];
  }

  getConsumer(producerId: string): Consumer | undefined {
    return this.consumers.get(producerId);
  }

  /**
   * Applies the client's publisher offer and returns the answer. Offers are applied one at a time.
   * Throws SdpRejectedError for an SDP that cannot be applied; the peer stays usable.
   */
  handlePublisherOffer(sdp: string, tracksMeta: readonly TrackMeta[] = []): Promise<string> {
    if (this.closed) return Promise.reject(new InvalidStateError('peer closed'));
    if (!looksLikeSdp(sdp)) return Promise.reject(new SdpRejectedError('not an SDP offer'));
    if (!Array.isArray(tracksMeta))
      return Promise.reject(new InvalidArgumentError('tracksMeta must be an array'));
    const meta = new Map<string, TrackMeta>();
    for (const m of tracksMeta) {
      if (typeof m !== 'object' || m === null || typeof m.mid !== 'string') {
        return Promise.reject(new InvalidArgumentError('each track meta needs a string mid'));
      }
      const copy: TrackMeta = { mid: m.mid };
      if (typeof m.trackId === 'string' && m.trackId.length > 0) copy.trackId = m.trackId;
      if (typeof m.source === 'string') copy.source = m.source;
      if (Array.isArray(m.rids))
        copy.rids = (m.rids as unknown[]).filter((r): r is string => typeof r === 'string');
      meta.set(m.mid, copy);
    }
    const run = async (): Promise<string> => {
      if (this.closed) throw new InvalidStateError('peer closed');
      for (const [k, v] of meta) this.meta.set(k, v);
      let answer: string;
      try {
        answer = await this.publisher.answer(sdp);
      } catch (error) {
        if (this.closed) throw new InvalidStateError('peer closed');
        throw new SdpRejectedError(
          `publisher offer rejected: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      }
      if (this.closed) throw new InvalidStateError('peer closed');
      this.closeRemovedProducers();
      return answer;
    };
    const p = this.pubChain.then(run, run);
    this.pubChain = p.catch(() => undefined);
    return p;
  }

  /** Applies the client's answer to our last subscriberOffer. */
  async handleSubscriberAnswer(sdp: string): Promise<void> {
    if (this.closed) throw new InvalidStateError('peer closed');
    if (!looksLikeSdp(sdp)) throw new SdpRejectedError('not an SDP answer');
    if (!this.awaitingAnswer) throw new InvalidStateError('no subscriber offer outstanding');
    try {
      await this.subscriber.setAnswer(sdp);
    } catch (error) {
      // The answer is fine but the connection it answers died while it was on its way: offer again with a
      // new ICE generation instead of failing the client (it answers the next offer as any renegotiation).
      if (error instanceof IceGenerationLostError) this.iceRestartPending = true;
      else
        throw new SdpRejectedError(
          `subscriber answer rejected: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
    } finally {
      this.awaitingAnswer = false;
      this.negotiating = false;
    }
    if (this.negotiateAgain || this.iceRestartPending) {
      this.negotiateAgain = false;
      this.scheduleNegotiation();
    }
  }

  async addIceCandidate(target: TransportTarget, candidate: IceCandidateInit | null): Promise<void> {
    if (this.closed) return;
    if (target !== 'publisher' && target !== 'subscriber')
      throw new InvalidArgumentError(`bad target ${String(target)}`);
    if (candidate !== null && (typeof candidate !== 'object' || typeof candidate.candidate !== 'string')) {
      throw new InvalidArgumentError('candidate must be an RTCIceCandidateInit');
    }
    const t = target === 'publisher' ? this.publisher : this.subscriber;
    try {
      await t.addIceCandidate(candidate);
    } catch (error) {
      throw new InvalidArgumentError(
        `ICE candidate rejected: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * Subscriber: renegotiates with new ICE credentials (a subscriberOffer follows).
   * Publisher: the client must send a new offer with iceRestart; this only prepares our side.
   */
  restartIce(target: TransportTarget): void {
    if (this.closed) throw new InvalidStateError('peer closed');
    if (target === 'publisher') {
      this.publisher.restartIce();
      return;
    }
    // Before the first offer there is nothing to restart: an offer now would carry no m-line at all,
    // which a browser refuses. The first real offer gets fresh credentials anyway.
    if (!this.offered) return;
    this.iceRestartPending = true;
    this.scheduleNegotiation();
  }

  /**
   * Starts forwarding a producer of another peer to this one; renegotiates the subscriber. `label` is the
   * track id the subscriber sees in a=msid (default: the producer id), so a client can tell which
   * published track an incoming one is.
   */
  subscribe(producerId: string, label?: string): Consumer {
    if (this.closed) throw new InvalidStateError('peer closed');
    const existing = this.consumers.get(producerId);
    if (existing) return existing;
    const producer = this.host.getProducer(producerId);
    if (!producer || producer.isClosed) throw new NotFoundError(`producer ${producerId} not found`);
    if (producer.peerId === this.participantId)
      throw new InvalidArgumentError('cannot subscribe to own producer');
    const track = this.subscriber.addTrack(
      producer.kind,
      producer.codec,
      producer.peerId,
      label ?? producer.id,
    );
    const consumer = new Consumer(
      producer,
      this.participantId,
      track,
      this.host.stats,
      (error) => this.consumerFailed(error),
      this.opts,
      this.counters,
    );
    this.consumers.set(producerId, consumer);
    consumer.on('close', (reason) => {
      this.consumers.delete(producerId);
      this.subscriber.removeTrack(track);
      this.safeEmit('consumerClosed', consumer.id, producerId, reason);
      if (!this.closed) this.scheduleNegotiation();
    });
    this.safeEmit('consumerAdded', consumer);
    this.scheduleNegotiation();
    return consumer;
  }

  unsubscribe(producerId: string): void {
    if (this.closed) return;
    this.consumers.get(producerId)?.close('unsubscribed');
  }

  setPreferredLayers(producerId: string, request: LayerRequest, paused = false): void {
    if (this.closed) throw new InvalidStateError('peer closed');
    const c = this.consumers.get(producerId);
    if (!c) throw new NotFoundError(`not subscribed to ${producerId}`);
    if ('quality' in request) {
      if (request.quality !== 0 && request.quality !== 1 && request.quality !== 2) {
        throw new InvalidArgumentError('quality must be 0, 1 or 2');
      }
      c.setPreferredLayers({ quality: request.quality }, paused === true);
      return;
    }
    const { width, height } = request;
    if (!Number.isFinite(width) || !Number.isFinite(height) || width < 0 || height < 0) {
      throw new InvalidArgumentError('width and height must be non-negative numbers');
    }
    c.setPreferredLayers({ width, height }, paused === true);
  }

  private onInboundTrack(track: InboundTrack): void {
    let producer = this.producersByMid.get(track.mid);
    if (!producer || producer.isClosed) {
      producer = this.host.createProducer(this, track.mid, track.kind, track, this.meta.get(track.mid));
      this.producersByMid.set(track.mid, producer);
      producer.addTrack(track);
      this.safeEmit('producerAdded', producer);
      return;
    }
    producer.addTrack(track);
  }

  /** Producers whose m-line stopped sending in the latest offer are closed. */
  private closeRemovedProducers(): void {
    const active = this.publisher.activeMids();
    for (const [mid, p] of this.producersByMid) {
      if (!active.has(mid)) {
        this.producersByMid.delete(mid);
        p.close('unpublished');
      }
    }
  }

  /** Splits the subscriber's estimate evenly across its video consumers (a minimal allocator). */
  private onBandwidth(bps: number): void {
    let n = 0;
    for (const c of this.consumers.values()) if (c.kind === 'video') n++;
    if (n === 0) return;
    const share = bps / n;
    for (const c of this.consumers.values()) if (c.kind === 'video') c.setBandwidth(share);
  }

  private consumerFailed(error: unknown): void {
    this.host.stats.containedErrors++;
    this.close(`consumer error: ${error instanceof Error ? error.message : String(error)}`);
  }

  private scheduleNegotiation(): void {
    if (this.closed || this.negotiateScheduled) return;
    this.negotiateScheduled = true;
    setImmediate(() => {
      this.negotiateScheduled = false;
      // negotiate() contains its own failures (it closes the peer with the reason).
      void this.negotiate();
    });
  }

  private async negotiate(): Promise<void> {
    if (this.closed) return;
    if (this.negotiating || !this.subscriber.signalingStable) {
      this.negotiateAgain = true;
      return;
    }
    this.negotiating = true;
    const restart = this.iceRestartPending;
    this.iceRestartPending = false;
    try {
      const sdp = await this.subscriber.offer(restart);
      if (this.closed) return;
      this.awaitingAnswer = true;
      this.offered = true;
      this.safeEmit('subscriberOffer', sdp);
    } catch (error) {
      this.negotiating = false;
      this.host.stats.containedErrors++;
      this.close(`subscriber negotiation failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private armFailedTimer(): void {
    if (this.failedTimer) return;
    this.failedTimer = setTimeout(() => this.close('connection failed'), this.opts.failedTimeoutMs ?? 10_000);
    this.failedTimer.unref();
  }

  private clearFailedTimer(): void {
    if (this.failedTimer) clearTimeout(this.failedTimer);
    this.failedTimer = null;
  }

  /** Synchronous and idempotent: closes consumers, producers, both connections. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.clearFailedTimer();
    for (const c of [...this.consumers.values()]) c.close('peerclose');
    this.consumers.clear();
    for (const p of this.producersByMid.values()) p.close('peerclose');
    this.producersByMid.clear();
    this.publisher.onTrack = null;
    this.publisher.close();
    this.subscriber.close();
    this.host.stats.peers--;
    this.host.peerClosed(this, reason);
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }
}
