import { randomUUID } from 'node:crypto';
import type { ConsumerOptions } from './Consumer.js';
import { SafeEmitter } from './emitter.js';
import { InvalidArgumentError, InvalidStateError } from './errors.js';
import { MediaStats } from './MediaStats.js';
import { Peer, type PeerHost, type PeerOptions, type TrackMeta } from './Peer.js';
import { Producer, type SubscribedQuality } from './Producer.js';
import { RtpForward } from './RtpForward.js';
import { SpeakerDetector, type SpeakerDetectorOptions } from './SpeakerDetector.js';
import type { InboundTrack, MediaKind, TransportFactory } from './transport.js';
import { NdcTransportFactory, type NdcTransportOptions } from './NdcTransport.js';
import { WeriftTransportFactory, type WeriftTransportOptions } from './WeriftTransport.js';

/** The WebRTC stacks under the forwarding stages. */
export type TransportKind = 'werift' | 'ndc';

export interface ActiveSpeaker {
  participantId: string;
  producerId: string;
  /** Smoothed loudness 0..127, higher is louder. */
  level: number;
}

export type RouterEvents = {
  peerJoined: [peer: Peer];
  peerLeft: [participantId: string, reason: string];
  producerAdded: [producer: Producer];
  producerClosed: [producerId: string, participantId: string, reason: string];
  /** Dynacast: per producer, which layers any subscriber wants. */
  subscribedQualities: [producerId: string, participantId: string, qualities: SubscribedQuality[]];
  /** Ordered loudest first; empty when nobody speaks. */
  speakersChanged: [speakers: ActiveSpeaker[]];
  close: [];
};

export interface RouterOptions extends ConsumerOptions {
  roomId?: string;
  /** Shared per worker; a new one when omitted. */
  stats?: MediaStats;
  /** A factory shared by several routers; built from `transport` when omitted. */
  transports?: TransportFactory;
  /** Stack used when `transports` is not given. Default werift. */
  transport?: TransportKind;
  werift?: WeriftTransportOptions;
  ndc?: NdcTransportOptions;
  /** Minimum interval between PLIs sent to a publisher per layer. Default 500 ms. */
  pliIntervalMs?: number;
  /** Packet cache slots per video layer. Default 512. */
  cacheSize?: number;
  /** Period of the layer / dynacast / speaker evaluation. Default 300 ms. */
  tickMs?: number;
  speaker?: SpeakerDetectorOptions;
  failedTimeoutMs?: number;
}

/** One room: peers, their producers, speaker detection. */
export class Router extends SafeEmitter<RouterEvents> {
  readonly id: string;
  readonly stats: MediaStats;
  private readonly peers = new Map<string, Peer>();
  private readonly producers = new Map<string, Producer>();
  private readonly forwards = new Map<string, RtpForward>();
  private readonly speakers: SpeakerDetector;
  private readonly timer: NodeJS.Timeout;
  private readonly host: PeerHost;
  private readonly opts: RouterOptions;
  private closed = false;

  constructor(opts: RouterOptions = {}) {
    super();
    this.opts = { ...opts };
    this.id = opts.roomId ?? randomUUID();
    this.stats = opts.stats ?? new MediaStats();
    this.speakers = new SpeakerDetector(opts.speaker);
    const transports =
      opts.transports ??
      (opts.transport === 'ndc'
        ? new NdcTransportFactory(opts.ndc)
        : new WeriftTransportFactory(opts.werift));
    this.host = {
      stats: this.stats,
      transports,
      getProducer: (id) => this.producers.get(id),
      createProducer: (peer, mid, kind, track, meta) => this.createProducer(peer, mid, kind, track, meta),
      peerClosed: (peer, reason) => this.onPeerClosed(peer, reason),
    };
    this.timer = setInterval(() => this.tick(), opts.tickMs ?? 300);
    this.timer.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get peerCount(): number {
    return this.peers.size;
  }

  getPeer(participantId: string): Peer | undefined {
    return this.peers.get(participantId);
  }

  getProducer(producerId: string): Producer | undefined {
    return this.producers.get(producerId);
  }

  listProducers(): Producer[] {
    return [...this.producers.values()];
  }

  /**
   * A plain-RTP forward (a recorder): a subscriber without ICE, DTLS or SRTP. Its streams are added with
   * `add()`; it closes with the router.
   */
  createRtpForward(id: string, family: 'udp4' | 'udp6' = 'udp4'): RtpForward {
    if (this.closed) throw new InvalidStateError('router closed');
    if (typeof id !== 'string' || id.length === 0 || id.length > 256)
      throw new InvalidArgumentError('forward id must be a non-empty string');
    if (this.forwards.has(id)) throw new InvalidStateError(`forward ${id} exists`);
    const forward = new RtpForward(id, this.stats, family);
    this.forwards.set(id, forward);
    forward.on('close', () => this.forwards.delete(id));
    return forward;
  }

  getRtpForward(id: string): RtpForward | undefined {
    return this.forwards.get(id);
  }

  createPeer(participantId: string, opts: PeerOptions = {}): Peer {
    if (this.closed) throw new InvalidStateError('router closed');
    if (typeof participantId !== 'string' || participantId.length === 0 || participantId.length > 256) {
      throw new InvalidArgumentError('participantId must be a non-empty string');
    }
    if (this.peers.has(participantId))
      throw new InvalidStateError(`participant ${participantId} already joined`);
    const peerOpts: PeerOptions = {};
    const rate = opts.egressDropRate ?? this.opts.egressDropRate;
    if (rate !== undefined) peerOpts.egressDropRate = rate;
    const filter = opts.dropFilter ?? this.opts.dropFilter;
    if (filter !== undefined) peerOpts.dropFilter = filter;
    const ft = opts.failedTimeoutMs ?? this.opts.failedTimeoutMs;
    if (ft !== undefined) peerOpts.failedTimeoutMs = ft;
    const peer = new Peer(participantId, this.host, peerOpts);
    this.peers.set(participantId, peer);
    this.safeEmit('peerJoined', peer);
    return peer;
  }

  private createProducer(
    peer: Peer,
    mid: string,
    kind: MediaKind,
    track: InboundTrack,
    meta: TrackMeta | undefined,
  ): Producer {
    const id = meta?.trackId;
    if (id !== undefined && this.producers.has(id)) throw new InvalidStateError(`producer ${id} exists`);
    const producer = new Producer({
      ...(id !== undefined ? { id } : {}),
      peerId: peer.participantId,
      mid,
      kind,
      codec: track.codec,
      source: meta?.source ?? (kind === 'audio' ? 'microphone' : 'camera'),
      ridOrder: meta?.rids ?? [],
      stats: this.stats,
      counters: peer.counters,
      pliIntervalMs: this.opts.pliIntervalMs ?? 500,
      cacheSize: this.opts.cacheSize ?? 512,
      onAudioLevel: kind === 'audio' ? (p, level) => this.speakers.addLevel(p.speakerSlot, level) : null,
    });
    if (kind === 'audio') producer.speakerSlot = this.speakers.register(producer.id);
    this.producers.set(producer.id, producer);
    producer.on('subscribedQualities', (q) =>
      this.safeEmit('subscribedQualities', producer.id, peer.participantId, q),
    );
    producer.on('close', (reason) => {
      this.producers.delete(producer.id);
      if (producer.speakerSlot >= 0) this.speakers.unregister(producer.speakerSlot);
      this.safeEmit('producerClosed', producer.id, peer.participantId, reason);
    });
    // Emitted after the first layer is attached (Peer does that right after this returns).
    queueMicrotask(() => {
      if (!producer.isClosed) this.safeEmit('producerAdded', producer);
    });
    return producer;
  }

  private onPeerClosed(peer: Peer, reason: string): void {
    if (this.peers.get(peer.participantId) !== peer) return;
    this.peers.delete(peer.participantId);
    this.safeEmit('peerLeft', peer.participantId, reason);
  }

  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    for (const p of this.producers.values()) {
      try {
        p.tick(now);
      } catch {
        this.stats.containedErrors++;
      }
    }
    if (this.speakers.tick()) {
      const list: ActiveSpeaker[] = [];
      for (const s of this.speakers.speakers) {
        const p = this.producers.get(s.key);
        if (p) list.push({ participantId: p.peerId, producerId: p.id, level: s.loudness });
      }
      this.safeEmit('speakersChanged', list);
    }
  }

  /** Closes every peer (and so every producer and consumer); synchronous and idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const f of [...this.forwards.values()]) f.close('routerclose');
    this.forwards.clear();
    for (const peer of [...this.peers.values()]) peer.close('routerclose');
    this.peers.clear();
    for (const p of [...this.producers.values()]) p.close('routerclose');
    this.producers.clear();
    this.safeEmit('close');
    this.removeAllListeners();
  }
}
