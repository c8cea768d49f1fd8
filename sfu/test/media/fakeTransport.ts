// A fake of the transport seam (src/media/transport.ts) for unit tests of Producer, Consumer, Peer and
// Router. It keeps the contract the werift implementation keeps, so the forwarding logic is tested against
// the same rules: one reused InboundPacket per inbound track whose payload is only valid during the
// callback (the fake overwrites it afterwards), outbound tracks that drop send() until negotiated and
// connected, a freed m-line (with its SSRC and StreamContinuity) handed to the next track of its kind, and
// offer/answer states (no answer without an outstanding offer). Tests inject RTP packets, RTCP feedback,
// connection states and internal failures, and read back what was sent.
import type {
  CodecInfo,
  IceCandidateInit,
  InboundPacket,
  InboundTrack,
  MediaKind,
  OutboundFeedback,
  OutboundTrack,
  PublisherTransport,
  StreamContinuity,
  SubscriberTransport,
  TransportConnectionState,
  TransportFactory,
} from '../../src/media/transport.js';
import { sdpSections } from './fakeSdp.js';

export const VP8: CodecInfo = { mimeType: 'video/VP8', clockRate: 90000 };
export const OPUS: CodecInfo = { mimeType: 'audio/opus', clockRate: 48000, channels: 2 };

/** What a test injects; fields left out take the track's defaults. */
export interface PacketInit {
  seq: number;
  ts: number;
  payload: Buffer;
  marker?: boolean;
  audioLevel?: number;
}

/** Byte written over an injected payload once the callback returns: a consumer that kept it sends garbage. */
export const POISON = 0xee;

let nextInboundSsrc = 1000;

/** A published RTP stream (a simulcast layer or a plain track) into which a test injects packets. */
export class FakeInboundTrack implements InboundTrack {
  onPacket: ((packet: InboundPacket) => void) | null = null;
  /** performance.now() of every PLI the SFU sent for this stream. */
  readonly plis: number[] = [];
  private readonly packet: InboundPacket;

  constructor(
    readonly mid: string,
    readonly kind: MediaKind,
    readonly rid: string | undefined,
    readonly codec: CodecInfo = kind === 'video' ? VP8 : OPUS,
    readonly ssrc = nextInboundSsrc++,
  ) {
    this.packet = {
      ssrc,
      seq: 0,
      ts: 0,
      marker: false,
      payloadType: kind === 'video' ? 96 : 111,
      payload: Buffer.alloc(0),
      audioLevel: -1,
    };
  }

  requestKeyframe(): void {
    this.plis.push(performance.now());
  }

  /** Delivers one packet the way the transport does: one reused object, payload valid during the call. */
  inject(init: PacketInit): void {
    const p = this.packet;
    p.seq = init.seq & 0xffff;
    p.ts = init.ts >>> 0;
    p.marker = init.marker ?? false;
    p.payload = Buffer.from(init.payload);
    p.audioLevel = init.audioLevel ?? -1;
    try {
      this.onPacket?.(p);
    } finally {
      p.payload.fill(POISON);
    }
  }
}

/** One packet as the subscriber would receive it. */
export interface SentPacket {
  seq: number;
  ts: number;
  marker: boolean;
  payload: Buffer;
  /** performance.now() at send. */
  atMs: number;
}

/** One m-line of a subscriber connection; outlives the tracks that use it. */
export interface MLine {
  readonly mid: string;
  readonly kind: MediaKind;
  readonly ssrc: number;
  /** Covered by an answered offer. */
  negotiated: boolean;
  track: FakeOutboundTrack | null;
  /** Where the last stream on it stopped, kept while the line is spare. */
  continuity: StreamContinuity | null;
}

export class FakeOutboundTrack implements OutboundTrack {
  feedback: OutboundFeedback | null = null;
  continuity: StreamContinuity | null = null;
  readonly sent: SentPacket[] = [];
  /** Still on its m-line (removeTrack clears it). */
  active = true;
  /** When set, the next send() throws it (a failing stack). */
  throwOnSend: Error | null = null;

  constructor(
    readonly kind: MediaKind,
    readonly ssrc: number,
    private readonly line: MLine,
    readonly streamId: string,
    readonly trackId: string,
    private readonly owner: FakeSubscriberTransport,
  ) {}

  get mid(): string {
    return this.line.mid;
  }

  /** A reused m-line was negotiated before: like a werift transceiver, it is ready at once. */
  get ready(): boolean {
    return this.active && this.line.negotiated && this.owner.connectionState === 'connected';
  }

  send(seq: number, ts: number, marker: boolean, payload: Buffer): void {
    if (this.throwOnSend) throw this.throwOnSend;
    if (!this.ready) return;
    this.sent.push({ seq, ts, marker, payload: Buffer.from(payload), atMs: performance.now() });
  }

  // Feedback as the subscriber sends it; dropped when nothing listens, like the real transport.

  /** Generic NACK (RFC 4585 6.2.1) for these sequence numbers of the sent stream. */
  nack(seqs: readonly number[]): void {
    this.feedback?.onNack(seqs);
  }

  /** PLI (RFC 4585 6.3.1). */
  pli(): void {
    this.feedback?.onKeyframeRequest();
  }

  /** Receiver report block (RFC 3550 6.4.2), fractionLost in 0..1. */
  receiverReport(fractionLost: number, jitter = 0): void {
    this.feedback?.onReceiverReport(fractionLost, jitter);
  }
}

/** What the fake checks, records and can be told to do in common for both directions. */
abstract class FakeTransportBase {
  onConnectionState: ((state: TransportConnectionState) => void) | null = null;
  onIceCandidate: ((candidate: IceCandidateInit | null) => void) | null = null;
  onFatal: ((error: unknown) => void) | null = null;
  readonly candidates: (IceCandidateInit | null)[] = [];
  closed = false;
  private state: TransportConnectionState = 'new';

  get connectionState(): TransportConnectionState {
    return this.closed ? 'closed' : this.state;
  }

  /** The connection changes state (ICE/DTLS progress or loss). */
  setState(state: TransportConnectionState): void {
    if (this.closed) return;
    this.state = state;
    this.onConnectionState?.(state);
  }

  /** A local candidate was gathered (null: end of candidates). */
  gather(candidate: IceCandidateInit | null): void {
    if (!this.closed) this.onIceCandidate?.(candidate);
  }

  /** The stack failed internally (a callback threw): the owner is told once, as the werift transport does. */
  fail(error: unknown): void {
    if (this.closed) return;
    const cb = this.onFatal;
    if (cb) cb(error);
    else this.close();
  }

  addIceCandidate(candidate: IceCandidateInit | null): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (candidate !== null && candidate.candidate.startsWith('bad'))
      return Promise.reject(new Error('unparsable candidate'));
    this.candidates.push(candidate);
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onConnectionState = null;
    this.onIceCandidate = null;
    this.onFatal = null;
  }
}

export class FakePublisherTransport extends FakeTransportBase implements PublisherTransport {
  onTrack: ((track: InboundTrack) => void) | null = null;
  readonly offers: string[] = [];
  readonly bitrates: number[] = [];
  iceRestarts = 0;
  /** When set, the next answer() rejects with it (the stack refused the offer). */
  rejectNextOffer: Error | null = null;
  private mids = new Set<string>();

  answer(offerSdp: string): Promise<string> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const failure = this.rejectNextOffer;
    this.rejectNextOffer = null;
    if (failure) return Promise.reject(failure);
    this.offers.push(offerSdp);
    const sections = sdpSections(offerSdp);
    // The client sends on what it publishes: our side of those m-lines receives.
    this.mids = new Set(
      sections.filter((s) => s.direction === 'sendonly' || s.direction === 'sendrecv').map((s) => s.mid),
    );
    const media = sections.map(
      (s) =>
        `m=${s.kind} 9 UDP/TLS/RTP/SAVPF ${s.kind === 'video' ? 96 : 111}\r\na=mid:${s.mid}\r\n` +
        `a=${this.mids.has(s.mid) ? 'recvonly' : 'inactive'}\r\n`,
    );
    return Promise.resolve(`v=0\r\no=- 1 ${this.offers.length} IN IP4 127.0.0.1\r\ns=-\r\n${media.join('')}`);
  }

  activeMids(): Set<string> {
    return new Set(this.mids);
  }

  /** Media starts arriving on an m-line (one call per simulcast rid), as werift's onTrack fires. */
  addInbound(mid: string, kind: MediaKind, rid?: string, codec?: CodecInfo): FakeInboundTrack {
    const track = new FakeInboundTrack(mid, kind, rid, codec);
    this.onTrack?.(track);
    return track;
  }

  setPublisherBitrate(bps: number): void {
    this.bitrates.push(bps);
  }

  restartIce(): void {
    this.iceRestarts++;
  }

  override close(): void {
    super.close();
    this.onTrack = null;
  }
}

export interface SubscriberOffer {
  sdp: string;
  iceRestart: boolean;
  /** Tracks on an m-line of this offer (active ones). */
  tracks: FakeOutboundTrack[];
  lines: MLine[];
}

export class FakeSubscriberTransport extends FakeTransportBase implements SubscriberTransport {
  onBandwidthEstimate: ((bps: number) => void) | null = null;
  readonly offers: SubscriberOffer[] = [];
  /** When set, the next offer() rejects with it. */
  rejectNextOffer: Error | null = null;
  /** When set, the next setAnswer() settles the offer and rejects with it (as a real stack would). */
  rejectNextAnswer: Error | null = null;
  private readonly tracks = new Set<FakeOutboundTrack>();
  /** Every m-line ever created, in order; a line without a track is spare for the next of its kind. */
  private readonly lines: MLine[] = [];
  private pending: SubscriberOffer | null = null;
  private ufrag = 1;
  private nextSsrc = 5000;

  get signalingStable(): boolean {
    return this.pending === null;
  }

  /** Tracks currently on an m-line. */
  get current(): FakeOutboundTrack[] {
    return [...this.tracks];
  }

  addTrack(kind: MediaKind, _codec: CodecInfo, streamId: string, trackId: string): OutboundTrack {
    let line = this.lines.find((l) => l.track === null && l.kind === kind);
    if (!line) {
      line = {
        mid: String(this.lines.length),
        kind,
        ssrc: this.nextSsrc++,
        negotiated: false,
        track: null,
        continuity: null,
      };
      this.lines.push(line);
    }
    const track = new FakeOutboundTrack(kind, line.ssrc, line, streamId, trackId, this);
    track.continuity = line.continuity;
    line.track = track;
    this.tracks.add(track);
    return track;
  }

  removeTrack(track: OutboundTrack): void {
    const t = track as FakeOutboundTrack;
    if (!this.tracks.delete(t)) return;
    t.active = false;
    t.feedback = null;
    if (this.closed) return;
    const line = this.lines.find((l) => l.track === t)!;
    line.track = null;
    line.continuity = t.continuity;
  }

  offer(iceRestart: boolean): Promise<string> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const failure = this.rejectNextOffer;
    this.rejectNextOffer = null;
    if (failure) return Promise.reject(failure);
    if (iceRestart) this.ufrag++;
    const media = this.lines.map((l) => {
      const head = `m=${l.kind} 9 UDP/TLS/RTP/SAVPF ${l.kind === 'video' ? 96 : 111}\r\na=mid:${l.mid}\r\n`;
      if (!l.track) return `${head}a=inactive\r\n`;
      return `${head}a=sendonly\r\na=msid:${l.track.streamId} ${l.track.trackId}\r\na=ssrc:${l.track.ssrc} cname:sfu\r\n`;
    });
    const sdp =
      `v=0\r\no=- 2 ${this.offers.length + 1} IN IP4 127.0.0.1\r\ns=-\r\n` +
      `a=group:BUNDLE ${this.lines.map((l) => l.mid).join(' ')}\r\na=ice-ufrag:u${this.ufrag}\r\n${media.join('')}`;
    const offer: SubscriberOffer = { sdp, iceRestart, tracks: [...this.tracks], lines: [...this.lines] };
    this.offers.push(offer);
    this.pending = offer;
    return Promise.resolve(sdp);
  }

  setAnswer(_sdp: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const offer = this.pending;
    // As a real stack: an answer is only valid in have-local-offer.
    if (!offer) return Promise.reject(new Error('setRemoteDescription(answer) in state stable'));
    this.pending = null;
    const failure = this.rejectNextAnswer;
    this.rejectNextAnswer = null;
    if (failure) return Promise.reject(failure);
    for (const l of offer.lines) l.negotiated = true;
    return Promise.resolve();
  }

  /** A REMB from the subscriber (draft-alvestrand-rmcat-remb). */
  remb(bps: number): void {
    this.onBandwidthEstimate?.(bps);
  }

  override close(): void {
    super.close();
    for (const t of this.tracks) t.active = false;
  }
}

export class FakeTransportFactory implements TransportFactory {
  readonly publishers: FakePublisherTransport[] = [];
  readonly subscribers: FakeSubscriberTransport[] = [];

  createPublisher(): FakePublisherTransport {
    const t = new FakePublisherTransport();
    this.publishers.push(t);
    return t;
  }

  createSubscriber(): FakeSubscriberTransport {
    const t = new FakeSubscriberTransport();
    this.subscribers.push(t);
    return t;
  }
}
