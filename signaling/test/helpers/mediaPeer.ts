// A participant with real media for tests: libwebrtc (@roamhq/wrtc) publisher and subscriber
// connections, negotiated through the signaling WebSocket exactly as a browser would, with synthetic
// simulcast VP8 video and Opus audio, counting decoded frames per remote participant.
import { createRequire } from 'node:module';
import { gatheredLocalSdp, retainUntilExit } from '@origo/kit/testing';
import type { Json, SignalClient } from './client.js';

interface SessionDescription {
  type: string;
  sdp: string;
}
interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}
interface WrtcTrack {
  id: string;
  kind: string;
  stop(): void;
}
interface WrtcPeerConnection {
  onicecandidate: ((e: { candidate: IceCandidateInit | null }) => void) | null;
  ontrack: ((e: { track: WrtcTrack; streams: { id: string }[] }) => void) | null;
  connectionState: string;
  remoteDescription: SessionDescription | null;
  localDescription: SessionDescription | null;
  iceGatheringState: string;
  addTransceiver(track: WrtcTrack, init: unknown): unknown;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(d: SessionDescription): Promise<void>;
  setRemoteDescription(d: SessionDescription): Promise<void>;
  addIceCandidate(c: IceCandidateInit): Promise<void>;
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

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as Wrtc;

export interface Received {
  videoFrames: number;
  audioChunks: number;
  width: number;
  firstFrameAt: number;
}

export class MediaPeer {
  readonly pub = new wrtc.RTCPeerConnection();
  readonly sub = new wrtc.RTCPeerConnection();
  /** By remote participant sid (the stream id the SFU sets). */
  readonly received = new Map<string, Received>();
  signal: SignalClient;
  sid = '';
  sessionId = '';
  resumeSecret = '';
  joinStartedAt = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stops: Array<() => void> = [];
  private readonly pendingSub: IceCandidateInit[] = [];
  private readonly pendingPub: IceCandidateInit[] = [];
  private closed = false;
  private answering: Promise<void> = Promise.resolve();
  errors: Json[] = [];
  /** Track sids the server gave this peer's published tracks (track_published), by cid. */
  readonly published = new Map<string, Json>();
  /** Client ids of the published video and audio tracks. */
  videoCid = '';
  audioCid = '';

  constructor(signal: SignalClient) {
    this.signal = signal;
    retainUntilExit(this.pub, this.sub);
    this.sub.ontrack = (e) => this.onTrack(e.track, e.streams[0]?.id ?? 'unknown');
    this.pub.onicecandidate = (e) => this.trickle(e.candidate, 'SIGNAL_TARGET_PUBLISHER');
    this.sub.onicecandidate = (e) => this.trickle(e.candidate, 'SIGNAL_TARGET_SUBSCRIBER');
    this.listen(signal);
  }

  media(from: string): Received {
    let m = this.received.get(from);
    if (!m) {
      m = { videoFrames: 0, audioChunks: 0, width: 0, firstFrameAt: 0 };
      this.received.set(from, m);
    }
    return m;
  }

  /** Switches to another socket (after a resume); the peer connections stay. */
  rebind(signal: SignalClient): void {
    this.signal = signal;
    this.listen(signal);
  }

  private listen(signal: SignalClient): void {
    signal.onMessage((m) => {
      if (this.closed || signal !== this.signal) return;
      if ('subscriberOffer' in m) {
        const offer = m['subscriberOffer'] as { sdp: string; id?: number };
        this.answering = this.answering
          .then(() => this.answer(offer.sdp, offer.id ?? 0))
          .catch(() => undefined);
      } else if ('trickle' in m) {
        const t = m['trickle'] as {
          target: string;
          candidate: string;
          sdpMid?: string;
          sdpMlineIndex?: number;
        };
        if (t.candidate === '') return;
        const c = {
          candidate: t.candidate,
          sdpMid: t.sdpMid ?? null,
          sdpMLineIndex: t.sdpMlineIndex ?? null,
        };
        const pc = t.target === 'SIGNAL_TARGET_PUBLISHER' ? this.pub : this.sub;
        if (pc.remoteDescription) void pc.addIceCandidate(c).catch(() => undefined);
        else (pc === this.pub ? this.pendingPub : this.pendingSub).push(c);
      } else if ('trackPublished' in m) {
        const tp = m['trackPublished'] as { cid: string; track: Json };
        this.published.set(tp.cid, tp.track);
      } else if ('error' in m) {
        this.errors.push(m);
      }
    });
  }

  private trickle(c: IceCandidateInit | null, target: string): void {
    if (!c || this.closed || !this.signal.isOpen) return;
    this.signal.send({
      trickle: {
        target,
        candidate: c.candidate,
        ...(c.sdpMid ? { sdpMid: c.sdpMid } : {}),
        ...(typeof c.sdpMLineIndex === 'number' ? { sdpMlineIndex: c.sdpMLineIndex } : {}),
      },
    });
  }

  private async answer(sdp: string, id: number): Promise<void> {
    if (this.closed) return;
    await this.sub.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.sub.createAnswer();
    await this.sub.setLocalDescription(answer);
    for (const c of this.pendingSub.splice(0)) await this.sub.addIceCandidate(c).catch(() => undefined);
    if (this.closed) return;
    const local = await gatheredLocalSdp(this.sub);
    if (this.closed) return;
    this.signal.send({ subscriberAnswer: { sdp: local, id } });
  }

  private onTrack(track: WrtcTrack, from: string): void {
    const m = this.media(from);
    if (track.kind === 'video') {
      const sink = new wrtc.nonstandard.RTCVideoSink(track);
      retainUntilExit(sink, track);
      sink.onframe = ({ frame }) => {
        if (m.videoFrames === 0) m.firstFrameAt = performance.now();
        m.videoFrames++;
        m.width = frame.width;
      };
      this.stops.push(() => sink.stop());
    } else {
      const sink = new wrtc.nonstandard.RTCAudioSink(track);
      retainUntilExit(sink, track);
      sink.ondata = () => {
        m.audioChunks++;
      };
      this.stops.push(() => sink.stop());
    }
  }

  /** Sends join with the token; returns the joinResponse. */
  async join(token: string): Promise<Json> {
    this.joinStartedAt = performance.now();
    const reply = await this.signal.request({ join: { token } });
    const jr = reply['joinResponse'] as Json | undefined;
    if (!jr) throw new Error(`join failed: ${JSON.stringify(reply)}`);
    this.sid = (jr['participant'] as Json)['sid'] as string;
    this.sessionId = jr['sessionId'] as string;
    this.resumeSecret = jr['resumeSecret'] as string;
    return jr;
  }

  /** Publishes simulcast video and audio: add_track for each, then the offer. */
  async publish(opts: { width?: number; height?: number; simulcast?: boolean } = {}): Promise<void> {
    const width = opts.width ?? 640;
    const height = opts.height ?? 360;
    const vsrc = new wrtc.nonstandard.RTCVideoSource();
    const vtrack = vsrc.createTrack();
    const asrc = new wrtc.nonstandard.RTCAudioSource();
    const atrack = asrc.createTrack();
    retainUntilExit(vsrc, vtrack, asrc, atrack);
    this.stops.push(
      () => vtrack.stop(),
      () => atrack.stop(),
    );
    const simulcast = opts.simulcast ?? true;
    this.pub.addTransceiver(
      vtrack,
      simulcast
        ? {
            direction: 'sendonly',
            sendEncodings: [
              { rid: 'q', scaleResolutionDownBy: 4 },
              { rid: 'h', scaleResolutionDownBy: 2 },
              { rid: 'f' },
            ],
          }
        : { direction: 'sendonly' },
    );
    this.pub.addTransceiver(atrack, { direction: 'sendonly' });
    this.videoCid = vtrack.id;
    this.audioCid = atrack.id;
    const layers = simulcast
      ? [
          { rid: 'q', quality: 'VIDEO_QUALITY_LOW', maxWidth: width / 4, maxHeight: height / 4 },
          { rid: 'h', quality: 'VIDEO_QUALITY_MEDIUM', maxWidth: width / 2, maxHeight: height / 2 },
          { rid: 'f', quality: 'VIDEO_QUALITY_HIGH', maxWidth: width, maxHeight: height },
        ]
      : [];
    const v = await this.signal.request({
      addTrack: {
        cid: vtrack.id,
        kind: 'TRACK_KIND_VIDEO',
        source: 'TRACK_SOURCE_CAMERA',
        width,
        height,
        layers,
      },
    });
    const a = await this.signal.request({
      addTrack: { cid: atrack.id, kind: 'TRACK_KIND_AUDIO', source: 'TRACK_SOURCE_MICROPHONE' },
    });
    if (!('ack' in v) || !('ack' in a)) throw new Error(`add_track failed: ${JSON.stringify([v, a])}`);
    this.startVideo(vsrc, width, height);
    this.startAudio(asrc);
    const offer = await this.pub.createOffer();
    await this.pub.setLocalDescription(offer);
    const reply = await this.signal.request({
      publishOffer: { sdp: await gatheredLocalSdp(this.pub), id: 1 },
    });
    const answer = reply['publisherAnswer'] as { sdp: string } | undefined;
    if (!answer) throw new Error(`publish failed: ${JSON.stringify(reply)}`);
    await this.pub.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    for (const c of this.pendingPub.splice(0)) await this.pub.addIceCandidate(c).catch(() => undefined);
  }

  private startVideo(src: { onFrame(f: VideoFrame): void }, width: number, height: number): void {
    const frame: VideoFrame = { width, height, data: new Uint8Array((width * height * 3) / 2).fill(128) };
    const box = Math.floor(height / 4);
    let n = 0;
    this.timers.push(
      setInterval(() => {
        n++;
        const d = frame.data;
        d.fill(40 + ((n * 3) % 100), 0, width * height);
        const x0 = (n * 7) % (width - box);
        const y0 = (n * 3) % (height - box);
        for (let y = y0; y < y0 + box; y++) d.fill(230, y * width + x0, y * width + x0 + box);
        src.onFrame(frame);
      }, 66),
    );
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
    this.timers.push(
      setInterval(() => {
        for (let i = 0; i < 480; i++) {
          samples[i] = Math.round(8000 * Math.sin(phase));
          phase += (2 * Math.PI * 440) / 48000;
        }
        src.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
      }, 10),
    );
  }

  /** What this peer knows about `other`'s media and its own connections, for a timeout's message. */
  describe(other: MediaPeer): string {
    const kinds = this.signal.received.map((m) =>
      Object.keys(m)
        .filter((k) => k !== 'requestId')
        .join(),
    );
    const notes = this.signal.received
      .filter((m) => 'error' in m || 'leave' in m)
      .map((m) => JSON.stringify(m))
      .join(' ');
    return (
      `${this.sid} of ${other.sid}: ${JSON.stringify(this.media(other.sid))}; messages ${kinds.join(' ')}; ` +
      `errors and leaves ${notes || 'none'}; publisher ${this.pub.connectionState}, subscriber ${this.sub.connectionState}`
    );
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

/**
 * Waits until `x` and `y` each decode at least `frames` video frames of the other since `since` (counts
 * taken earlier); a timeout's message says what each peer knows about the other and its connections.
 */
export async function waitMediaBothWays(
  x: MediaPeer,
  y: MediaPeer,
  what: string,
  options: { timeoutMs: number; frames?: number },
): Promise<void> {
  const frames = options.frames ?? 5;
  const xStart = x.media(y.sid).videoFrames;
  const yStart = y.media(x.sid).videoFrames;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (x.media(y.sid).videoFrames >= xStart + frames && y.media(x.sid).videoFrames >= yStart + frames)
      return;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; ${x.describe(y)}; ${y.describe(x)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
