// The seam between the forwarding stages and the WebRTC stack. Producer and Consumer see only
// these interfaces; WeriftTransport.ts implements them on werift, and a node-datachannel
// implementation can follow without touching the forwarding logic.

export type MediaKind = 'audio' | 'video';
export type TransportTarget = 'publisher' | 'subscriber';
export type TransportConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface CodecInfo {
  /** e.g. "video/VP8", "audio/opus". */
  mimeType: string;
  clockRate: number;
  channels?: number;
  /** fmtp line, if any. */
  parameters?: string;
}

/** ICE candidate in the shape browsers exchange (RTCIceCandidateInit). */
export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/**
 * One received RTP packet. The transport reuses a single object per inbound track: consumers
 * must copy what they keep (the payload is only valid during the callback).
 */
export interface InboundPacket {
  ssrc: number;
  seq: number;
  ts: number;
  marker: boolean;
  payloadType: number;
  payload: Buffer;
  /** RFC 6464 level (0..127, -dBov) or -1 when the extension is absent. */
  audioLevel: number;
}

/** One received RTP stream: a simulcast layer (rid) or a plain track (ssrc). */
export interface InboundTrack {
  /** m-line id of the publisher's transceiver. */
  readonly mid: string;
  readonly kind: MediaKind;
  /** RTP stream id for simulcast, undefined without simulcast. */
  readonly rid: string | undefined;
  readonly codec: CodecInfo;
  /** Set by the Producer; called for every packet. */
  onPacket: ((packet: InboundPacket) => void) | null;
  /** Sends a PLI for this stream to the publisher (RFC 4585 6.3.1). */
  requestKeyframe(): void;
}

/** Feedback arriving from a subscriber about one outbound track. */
export interface OutboundFeedback {
  /** Generic NACK (RFC 4585 6.2.1): the lost sequence numbers (of the munged stream). */
  onNack(seqs: readonly number[]): void;
  /** PLI (RFC 4585 6.3.1) or FIR (RFC 5104 4.3.1). */
  onKeyframeRequest(): void;
  /** Receiver report block for this SSRC (RFC 3550 6.4.2); fractionLost in 0..1. */
  onReceiverReport(fractionLost: number, jitter: number): void;
}

/**
 * Where the last stream sent on an m-line stopped. A transport that gives a freed m-line (and its SSRC)
 * to a new track hands this over, so the new stream continues the old one instead of jumping back: a
 * receiver drops packets whose sequence numbers, timestamps or VP8 picture ids run backwards.
 */
export interface StreamContinuity {
  seq: number;
  ts: number;
  /** performance.now() of the last packet. */
  atMs: number;
  /** Last VP8 picture id and TL0PICIDX, -1 when none. */
  pictureId: number;
  tl0PicIdx: number;
}

/** One sent RTP stream towards a subscriber. */
export interface OutboundTrack {
  readonly kind: MediaKind;
  readonly ssrc: number;
  /** True once the m-line is negotiated and DTLS is up: send() is dropped before. */
  readonly ready: boolean;
  feedback: OutboundFeedback | null;
  /**
   * Sends one packet; the transport sets SSRC, payload type and its own header extensions.
   * Synchronous: the payload may be reused as soon as it returns.
   */
  send(seq: number, ts: number, marker: boolean, payload: Buffer): void;
  /** Stream id the subscriber sees (MediaStream id / msid), set before negotiation. */
  readonly streamId: string;
  /**
   * Set by the transport when this track reuses an m-line: where the previous stream on it stopped. The
   * consumer sending on this track writes its own end state here when it closes.
   */
  continuity: StreamContinuity | null;
}

interface TransportBase {
  readonly connectionState: TransportConnectionState;
  onConnectionState: ((state: TransportConnectionState) => void) | null;
  onIceCandidate: ((candidate: IceCandidateInit | null) => void) | null;
  /** Called once when the transport fails internally (a werift callback threw). */
  onFatal: ((error: unknown) => void) | null;
  addIceCandidate(candidate: IceCandidateInit | null): Promise<void>;
  close(): void;
}

export interface PublisherTrackMeta {
  mid: string;
  kind: MediaKind;
  rids: string[];
}

export interface PublisherTransport extends TransportBase {
  /** Applies a client offer and returns the answer SDP. */
  answer(offerSdp: string): Promise<string>;
  /** Media sections that are sending after the last offer. */
  activeMids(): Set<string>;
  onTrack: ((track: InboundTrack) => void) | null;
  /** Bandwidth ceiling announced to the publisher with REMB for these SSRCs' m-lines. */
  setPublisherBitrate(bps: number): void;
  restartIce(): void;
}

export interface SubscriberTransport extends TransportBase {
  addTrack(kind: MediaKind, codec: CodecInfo, streamId: string, trackId: string): OutboundTrack;
  removeTrack(track: OutboundTrack): void;
  /** Creates and applies a local offer; returns its SDP. */
  offer(iceRestart: boolean): Promise<string>;
  setAnswer(sdp: string): Promise<void>;
  readonly signalingStable: boolean;
  /** Receiver-side estimate for the whole transport (REMB, draft-alvestrand-rmcat-remb), bps. */
  onBandwidthEstimate: ((bps: number) => void) | null;
}

export interface TransportFactory {
  createPublisher(): PublisherTransport;
  createSubscriber(): SubscriberTransport;
}
