// Test client on @roamhq/wrtc (libwebrtc): publishes synthetic video (simulcast) and audio to a
// Peer and decodes what the SFU forwards, counting frames at RTCVideoSink / RTCAudioSink.
import { createRequire } from 'node:module';
import { gatheredLocalSdp, retainUntilExit } from '@origo/kit/testing';
import type {
  IceCandidateInit,
  Peer,
  PeerOptions,
  TrackMeta,
  TransportTarget,
} from '../../src/media/index.js';

/** The part of Peer a client drives; the bench implements it over IPC to a child process. */
export interface PeerLike {
  on(event: 'iceCandidate', fn: (target: TransportTarget, c: IceCandidateInit | null) => void): unknown;
  on(event: 'subscriberOffer', fn: (sdp: string) => void): unknown;
  handlePublisherOffer(sdp: string, meta?: readonly TrackMeta[]): Promise<string>;
  handleSubscriberAnswer(sdp: string): Promise<void>;
  addIceCandidate(target: TransportTarget, c: IceCandidateInit | null): Promise<void>;
}
export interface RouterLike<P extends PeerLike> {
  createPeer(id: string, opts?: PeerOptions): P;
}

// Minimal typings of the parts of wrtc used here (its own typings lean on DOM types).
interface WrtcSessionDescription {
  type: string;
  sdp: string;
}
interface WrtcTrack {
  kind: string;
  stop(): void;
}
interface WrtcTransceiver {
  mid: string | null;
  sender: {
    getParameters(): { encodings: { rid?: string; active?: boolean }[] };
    setParameters(p: unknown): Promise<void>;
  };
}
interface WrtcTrackEvent {
  track: WrtcTrack;
  streams: { id: string }[];
  transceiver: WrtcTransceiver;
}
interface WrtcPeerConnection {
  onicecandidate:
    ((e: { candidate: (IceCandidateInit & { toJSON?: () => IceCandidateInit }) | null }) => void) | null;
  ontrack: ((e: WrtcTrackEvent) => void) | null;
  onconnectionstatechange: (() => void) | null;
  connectionState: string;
  remoteDescription: WrtcSessionDescription | null;
  localDescription: WrtcSessionDescription | null;
  iceGatheringState: string;
  addTransceiver(track: WrtcTrack, init: unknown): WrtcTransceiver;
  createOffer(options?: { iceRestart?: boolean }): Promise<WrtcSessionDescription>;
  createAnswer(): Promise<WrtcSessionDescription>;
  setLocalDescription(d?: WrtcSessionDescription): Promise<void>;
  setRemoteDescription(d: WrtcSessionDescription): Promise<void>;
  addIceCandidate(c: IceCandidateInit): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
}
interface VideoFrame {
  width: number;
  height: number;
  data: Uint8Array;
}
interface Wrtc {
  RTCPeerConnection: new (cfg?: unknown) => WrtcPeerConnection;
  nonstandard: {
    RTCVideoSource: new () => { createTrack(): WrtcTrack; onFrame(f: VideoFrame): void };
    RTCAudioSource: new () => {
      createTrack(): WrtcTrack;
      onData(d: {
        samples: Int16Array;
        sampleRate: number;
        bitsPerSample: number;
        channelCount: number;
        numberOfFrames: number;
      }): void;
    };
    RTCVideoSink: new (t: WrtcTrack) => {
      onframe: ((e: { frame: VideoFrame }) => void) | null;
      stop(): void;
    };
    RTCAudioSink: new (t: WrtcTrack) => { ondata: ((d: unknown) => void) | null; stop(): void };
  };
}

export const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as Wrtc;

export interface ReceivedMedia {
  videoFrames: number;
  audioChunks: number;
  width: number;
  height: number;
  /** performance.now() of the last decoded video frame. */
  lastFrameAt: number;
  /** Longest pause between two decoded frames since resetGap(). */
  maxGapMs: number;
  firstFrameAt: number;
}

export interface ClientOptions {
  width?: number;
  height?: number;
  fps?: number;
  simulcast?: boolean;
  audio?: boolean;
  video?: boolean;
  /** Sine amplitude 0..1 for the audio source; 0 sends silence. */
  loudness?: number;
  /** Cycle precomputed noise frames (hard to compress: realistic bitrates) instead of a moving box. */
  noise?: boolean;
  /**
   * Paints each video frame (I420: the luma plane first, then chroma) instead of the moving box; `at` is the
   * wall time (Date.now()) it is drawn at. For tests that read time back from a recording.
   */
  paint?: (data: Uint8Array, width: number, height: number, at: number) => void;
  /**
   * Fills each 10 ms of 48 kHz mono audio instead of the sine, as many as the wall clock moved on; `at` is
   * the wall time of the chunk's start.
   */
  sound?: (samples: Int16Array, at: number) => void;
}

export class WrtcClient<P extends PeerLike = Peer> {
  readonly pub: WrtcPeerConnection;
  readonly sub: WrtcPeerConnection;
  peer!: P;
  /** Media received, by the publishing participant id (the stream id the SFU sets). */
  readonly received = new Map<string, ReceivedMedia>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stops: (() => void)[] = [];
  private readonly pending = { pub: [] as IceCandidateInit[], sub: [] as IceCandidateInit[] };
  private closed = false;
  /**
   * Whether this client's ICE candidates reach the SFU. Off, the SFU learns the client's address only
   * from its connectivity checks (peer-reflexive), as when a browser's trickled candidates are late or lost.
   */
  trickleToSfu = true;
  readonly opts: Required<Omit<ClientOptions, 'paint' | 'sound'>> & Pick<ClientOptions, 'paint' | 'sound'>;
  joinedAt = 0;

  constructor(
    readonly id: string,
    opts: ClientOptions = {},
  ) {
    this.opts = {
      width: opts.width ?? 640,
      height: opts.height ?? 360,
      fps: opts.fps ?? 15,
      simulcast: opts.simulcast ?? true,
      audio: opts.audio ?? true,
      video: opts.video ?? true,
      loudness: opts.loudness ?? 0.3,
      noise: opts.noise ?? false,
      paint: opts.paint,
      sound: opts.sound,
    };
    this.pub = new wrtc.RTCPeerConnection();
    this.sub = new wrtc.RTCPeerConnection();
    retainUntilExit(this.pub, this.sub);
    this.sub.ontrack = (e) => this.onTrack(e);
  }

  media(from: string): ReceivedMedia {
    let m = this.received.get(from);
    if (!m) {
      m = {
        videoFrames: 0,
        audioChunks: 0,
        width: 0,
        height: 0,
        lastFrameAt: 0,
        firstFrameAt: 0,
        maxGapMs: 0,
      };
      this.received.set(from, m);
    }
    return m;
  }

  private onTrack(e: WrtcTrackEvent): void {
    const from = e.streams[0]?.id ?? 'unknown';
    const m = this.media(from);
    if (e.track.kind === 'video') {
      const sink = new wrtc.nonstandard.RTCVideoSink(e.track);
      retainUntilExit(sink, e.track, e.streams);
      sink.onframe = ({ frame }) => {
        const now = performance.now();
        if (m.videoFrames === 0) m.firstFrameAt = now;
        else if (now - m.lastFrameAt > m.maxGapMs) m.maxGapMs = now - m.lastFrameAt;
        m.videoFrames++;
        m.width = frame.width;
        m.height = frame.height;
        m.lastFrameAt = now;
      };
      this.stops.push(() => sink.stop());
    } else {
      const sink = new wrtc.nonstandard.RTCAudioSink(e.track);
      retainUntilExit(sink, e.track, e.streams);
      sink.ondata = () => {
        m.audioChunks++;
      };
      this.stops.push(() => sink.stop());
    }
  }

  /** Creates the Peer, wires trickle ICE and subscriber negotiation, publishes media. */
  async join(router: RouterLike<P>, peerOpts: PeerOptions = {}): Promise<P> {
    this.joinedAt = performance.now();
    const peer = router.createPeer(this.id, peerOpts);
    this.peer = peer;
    peer.on('iceCandidate', (target, c) => {
      if (!c || this.closed) return;
      const pc = target === 'publisher' ? this.pub : this.sub;
      if (pc.remoteDescription) pc.addIceCandidate(c).catch(() => undefined);
      else this.pending[target === 'publisher' ? 'pub' : 'sub'].push(c);
    });
    peer.on('subscriberOffer', (sdp) => {
      void this.answerSubscriber(sdp);
    });
    this.pub.onicecandidate = (e) => {
      if (e.candidate && !this.closed && this.trickleToSfu)
        void peer.addIceCandidate('publisher', toInit(e.candidate)).catch(() => undefined);
    };
    this.sub.onicecandidate = (e) => {
      if (e.candidate && !this.closed && this.trickleToSfu)
        void peer.addIceCandidate('subscriber', toInit(e.candidate)).catch(() => undefined);
    };
    const meta: TrackMeta[] = [];
    if (this.opts.video) {
      const src = new wrtc.nonstandard.RTCVideoSource();
      const track = src.createTrack();
      retainUntilExit(src, track);
      this.stops.push(() => track.stop());
      const init = this.opts.simulcast
        ? {
            direction: 'sendonly',
            sendEncodings: [
              { rid: 'q', scaleResolutionDownBy: 4 },
              { rid: 'h', scaleResolutionDownBy: 2 },
              { rid: 'f' },
            ],
          }
        : { direction: 'sendonly' };
      this.pub.addTransceiver(track, init);
      this.startVideo(src);
    }
    if (this.opts.audio) {
      const src = new wrtc.nonstandard.RTCAudioSource();
      const track = src.createTrack();
      retainUntilExit(src, track);
      this.stops.push(() => track.stop());
      this.pub.addTransceiver(track, { direction: 'sendonly' });
      this.startAudio(src);
    }
    if (!this.opts.video && !this.opts.audio) return peer;
    const offer = await this.pub.createOffer();
    await this.pub.setLocalDescription(offer);
    const answer = await peer.handlePublisherOffer(await gatheredLocalSdp(this.pub), meta);
    await this.pub.setRemoteDescription({ type: 'answer', sdp: answer });
    for (const c of this.pending.pub.splice(0)) await this.pub.addIceCandidate(c).catch(() => undefined);
    return peer;
  }

  /** A local description as sent to the SFU: without its candidates when they are not to reach it. */
  sdpForSfu(sdp: string): string {
    return this.trickleToSfu ? sdp : sdp.replace(/^a=(candidate|end-of-candidates).*\r?\n/gm, '');
  }

  private async answerSubscriber(sdp: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.sub.setRemoteDescription({ type: 'offer', sdp });
      const answer = await this.sub.createAnswer();
      await this.sub.setLocalDescription(answer);
      for (const c of this.pending.sub.splice(0)) await this.sub.addIceCandidate(c).catch(() => undefined);
      if (this.closed) return;
      await this.peer.handleSubscriberAnswer(this.sdpForSfu(await gatheredLocalSdp(this.sub)));
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  private startVideo(src: { onFrame(f: VideoFrame): void }): void {
    const { width, height, fps } = this.opts;
    const frame: VideoFrame = { width, height, data: new Uint8Array((width * height * 3) / 2) };
    frame.data.fill(128);
    let n = 0;
    const box = Math.floor(height / 4);
    const noise = this.opts.noise
      ? Array.from({ length: 6 }, () => {
          const d = new Uint8Array((width * height * 3) / 2).fill(128);
          for (let i = 0; i < width * height; i++) d[i] = (Math.random() * 255) | 0;
          return d;
        })
      : [];
    const t = setInterval(
      () => {
        n++;
        if (this.opts.paint !== undefined) {
          this.opts.paint(frame.data, width, height, Date.now());
          src.onFrame(frame);
          return;
        }
        if (noise.length > 0) {
          src.onFrame({ width, height, data: noise[n % noise.length]! });
          return;
        }
        const d = frame.data;
        d.fill(40 + ((n * 3) % 100), 0, width * height);
        // A moving box so the encoder has motion to code at every layer.
        const x0 = (n * 7) % (width - box);
        const y0 = (n * 3) % (height - box);
        for (let y = y0; y < y0 + box; y++) d.fill(230, y * width + x0, y * width + x0 + box);
        src.onFrame(frame);
      },
      Math.round(1000 / fps),
    );
    this.timers.push(t);
  }

  private startAudio(src: {
    onData(d: {
      samples: Int16Array;
      sampleRate: number;
      bitsPerSample: number;
      channelCount: number;
      numberOfFrames: number;
    }): void;
  }): void {
    const samples = new Int16Array(480);
    let phase = 0;
    const amp = this.opts.loudness * 32767;
    const sound = this.opts.sound;
    const soundStarted = Date.now();
    let chunks = 0;
    const t = setInterval(() => {
      if (sound !== undefined) {
        // As many 10 ms chunks as the wall clock moved on (a late timer does not slow the sound down), each
        // made for its own time.
        while (chunks * 10 < Date.now() - soundStarted) {
          sound(samples, soundStarted + chunks * 10);
          src.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
          chunks++;
        }
        return;
      }
      for (let i = 0; i < 480; i++) {
        samples[i] = Math.round(amp * Math.sin(phase));
        phase += (2 * Math.PI * 440) / 48000;
      }
      src.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }, 10);
    this.timers.push(t);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of this.stops) {
      try {
        s();
      } catch {
        // already stopped
      }
    }
    this.pub.close();
    this.sub.close();
  }
}

function toInit(c: IceCandidateInit & { toJSON?: () => IceCandidateInit }): IceCandidateInit {
  return { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
}

/** Polls a condition until true or the deadline; the failure message names what was awaited. */
export async function waitFor(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  detail?: () => unknown,
): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
