// Synthetic WebRTC peers of the load generator, on werift: a publisher that sends pre-built VP8-like
// and Opus-like RTP (keyframe on PLI/FIR), and a subscriber that counts packets, loss and one-way
// latency from the trailer each payload carries. All ICE traffic stays on 127.0.0.1: only loopback
// candidates are offered, remote candidates are rewritten to 127.0.0.1 (the SFU's sockets listen on
// every address) and candidate pairs with any other address are filtered out.
import { performance } from 'node:perf_hooks';
import {
  PictureLossIndication,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  useAbsSendTime,
  useAudioLevelIndication,
  useNACK,
  usePLI,
  useFIR,
  useREMB,
  useSdesMid,
  type MediaStreamTrack,
  type RTCRtpTransceiver,
  type RtcpPacket,
} from 'werift';
import type { IceCandidateInit } from './protocol.js';
import { LatencyHistogram } from '../stats.js';
import {
  AudioSource,
  PacedQueue,
  readTrailer,
  rng,
  Vp8Source,
  writeTrailer,
  type AudioProfile,
  type Trailer,
  type VideoProfile,
} from './synthetic.js';

const LOOPBACK = '127.0.0.1';
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

type PcConfig = ConstructorParameters<typeof RTCPeerConnection>[0];

export function loopbackConfig(): PcConfig {
  return {
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          payloadType: 96,
          rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()],
        }),
      ],
      audio: [
        new RTCRtpCodecParameters({
          mimeType: 'audio/opus',
          clockRate: 48000,
          channels: 2,
          payloadType: 111,
          parameters: 'minptime=10;useinbandfec=1',
        }),
      ],
    },
    headerExtensions: {
      video: [useSdesMid(), useAbsSendTime()],
      audio: [useSdesMid(), useAudioLevelIndication()],
    },
    iceUseIpv4: true,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [LOOPBACK],
    iceInterfaceAddresses: { udp4: LOOPBACK },
    iceFilterCandidatePair: (pair) =>
      pair.remoteCandidate.host === LOOPBACK && pair.protocol.localCandidate?.host === LOOPBACK,
  };
}

/** Rewrites the address of every host candidate line to 127.0.0.1 (the SFU binds 0.0.0.0). */
export function candidatesToLoopback(sdp: string): string {
  return sdp.replace(/^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host.*)$/gm, `$1${LOOPBACK}$3`);
}

/** Keeps only 127.0.0.1 candidate lines of our own SDP. */
export function onlyLoopbackCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || l.split(' ')[4] === LOOPBACK)
    .join('\r\n');
}

export function candidateToLoopback(c: IceCandidateInit): IceCandidateInit | null {
  const parts = c.candidate.replace(/^a=/, '').split(' ');
  if (parts.length < 8 || parts[7] !== 'host') return null;
  parts[4] = LOOPBACK;
  return { ...c, candidate: parts.join(' ') };
}

async function waitGathered(pc: RTCPeerConnection, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}

export function waitConnected(pc: RTCPeerConnection, timeoutMs: number, what: string): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unSubscribe();
      reject(new Error(`${what}: not connected after ${timeoutMs} ms (${pc.connectionState})`));
    }, timeoutMs);
    const sub = pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') {
        clearTimeout(timer);
        sub.unSubscribe();
        resolve();
      } else if (s === 'failed' || s === 'closed') {
        clearTimeout(timer);
        sub.unSubscribe();
        reject(new Error(`${what}: connection ${s}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Receive side accounting

/** Where received packets are accounted: the SFU path or the direct loopback baseline. */
export class PathStats {
  readonly latency = new LatencyHistogram();
  packets = 0;
  bytes = 0;
  duplicates = 0;
  /** Filled by finish(): expected and lost over all streams of all receivers on this path. */
  expected = 0;
  lost = 0;

  reset(): void {
    this.latency.reset();
    this.packets = 0;
    this.bytes = 0;
    this.duplicates = 0;
    this.expected = 0;
    this.lost = 0;
  }
}

const SEEN = 8192;

/** Per received stream: index range and de-duplication over a ring of recent indexes. */
class StreamRx {
  epoch = -1;
  first = 0;
  max = 0;
  unique = 0;
  readonly seen = new Int32Array(SEEN).fill(-1);

  start(epoch: number, index: number): void {
    this.epoch = epoch;
    this.first = index;
    this.max = index;
    this.unique = 0;
    this.seen.fill(-1);
  }
}

/** Shared switch for the measurement window: packets are only accounted while recording. */
export class Recorder {
  recording = false;
  epoch = 0;
  readonly sfu = new PathStats();
  readonly direct = new PathStats();
  private readonly receivers = new Set<BenchSubscriber>();

  register(r: BenchSubscriber): void {
    this.receivers.add(r);
  }

  unregister(r: BenchSubscriber): void {
    this.receivers.delete(r);
  }

  begin(): void {
    this.epoch++;
    this.sfu.reset();
    this.direct.reset();
    this.recording = true;
  }

  end(): void {
    this.recording = false;
    for (const r of this.receivers) r.finish(this.epoch);
  }
}

export interface SubscriberTiming {
  /** performance.now() when the join started (before the SFU peer was created). */
  joinStartMs: number;
  firstVideoMs: number;
  firstAudioMs: number;
}

/** What the session needs of a subscriber, whichever WebRTC stack receives for it. */
export interface BenchSubscriber {
  readonly id: string;
  readonly timing: SubscriberTiming;
  /** The generator side's connection state, for failure messages. */
  readonly connectionState: string;
  /** Applies an offer (from the SFU or a direct publisher) and returns our answer. */
  answer(offerSdp: string): Promise<string>;
  /** Our answer reached the other side (after `answer`); a receiver may start connecting now. */
  answerDelivered(): void;
  addRemoteCandidate(c: IceCandidateInit | null): void;
  /** Adds this receiver's expected/lost counts of the window to its path. */
  finish(epoch: number): void;
  close(): void;
}

/** Accounts one subscriber's received payloads: first media, loss, duplicates and one-way latency. */
export class ReceiveAccount {
  readonly timing: SubscriberTiming = { joinStartMs: 0, firstVideoMs: 0, firstAudioMs: 0 };
  private readonly streams = new Map<number, StreamRx>();
  private readonly trailer: Trailer = { streamId: 0, index: 0, sendMs: 0 };

  constructor(
    private readonly recorder: Recorder,
    private readonly path: 'sfu' | 'direct',
  ) {}

  /** One RTP payload (bytes from `start` to the end of `buf`) of a video or audio stream. */
  onPayload(video: boolean, buf: Buffer, start = 0): void {
    const now = performance.now();
    const t = this.timing;
    if (video) {
      if (t.firstVideoMs === 0) t.firstVideoMs = now;
    } else if (t.firstAudioMs === 0) t.firstAudioMs = now;
    const rec = this.recorder;
    if (!rec.recording) return;
    const tr = this.trailer;
    if (!readTrailer(buf, tr)) return;
    let s = this.streams.get(tr.streamId);
    if (!s) {
      s = new StreamRx();
      this.streams.set(tr.streamId, s);
    }
    const path = this.path === 'sfu' ? rec.sfu : rec.direct;
    if (s.epoch !== rec.epoch) s.start(rec.epoch, tr.index);
    const slot = tr.index & (SEEN - 1);
    if (s.seen[slot] === (tr.index | 0)) {
      path.duplicates++;
      return;
    }
    s.seen[slot] = tr.index | 0;
    s.unique++;
    if (tr.index > s.max) s.max = tr.index;
    if (tr.index < s.first) s.first = tr.index;
    path.packets++;
    path.bytes += buf.length - start;
    path.latency.add(now - tr.sendMs);
  }

  finish(epoch: number): void {
    const path = this.path === 'sfu' ? this.recorder.sfu : this.recorder.direct;
    for (const s of this.streams.values()) {
      if (s.epoch !== epoch) continue;
      const expected = s.max - s.first + 1;
      path.expected += expected;
      path.lost += Math.max(0, expected - s.unique);
    }
  }
}

/** Receives media on one werift connection (recvonly, answers offers). */
export class SynthSubscriber implements BenchSubscriber {
  readonly pc: RTCPeerConnection;
  private readonly account: ReceiveAccount;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly recorder: Recorder,
    path: 'sfu' | 'direct',
  ) {
    this.account = new ReceiveAccount(recorder, path);
    this.pc = new RTCPeerConnection(loopbackConfig());
    recorder.register(this);
    this.pc.onTrack.subscribe((track: MediaStreamTrack) => {
      const video = track.kind === 'video';
      track.onReceiveRtp.subscribe((rtp) => this.account.onPayload(video, rtp.payload));
    });
  }

  get timing(): SubscriberTiming {
    return this.account.timing;
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  finish(epoch: number): void {
    this.account.finish(epoch);
  }

  answer(offerSdp: string): Promise<string> {
    const run = async (): Promise<string> => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: candidatesToLoopback(offerSdp) });
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      await waitGathered(this.pc);
      return onlyLoopbackCandidates(this.pc.localDescription!.sdp);
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** werift connects as soon as it has the offer, and its DTLS retransmits quickly enough. */
  answerDelivered(): void {}

  addRemoteCandidate(c: IceCandidateInit | null): void {
    if (this.closed || c === null) return;
    const lo = candidateToLoopback(c);
    if (lo) this.pc.addIceCandidate(lo as never).catch(() => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.recorder.unregister(this);
    this.pc.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Send side

let nextStreamId = 1;

interface SendStream {
  readonly id: number;
  readonly transceiver: RTCRtpTransceiver;
  readonly clockRate: number;
  seq: number;
  ts: number;
  index: number;
  nextDueMs: number;
  periodMs: number;
}

export interface PublisherOptions {
  video: VideoProfile | null;
  audio: AudioProfile | null;
  seed: number;
  /**
   * Added to performance.now() in each payload's send time: a publisher in another process states its
   * times on the receivers' clock (their performance.timeOrigin less its own).
   */
  clockOffsetMs?: number;
}

/** Sends synthetic media on one werift connection (sendonly, offers). */
export class SynthPublisher {
  readonly pc: RTCPeerConnection;
  readonly streamIds: number[] = [];
  packetsSent = 0;
  bytesSent = 0;
  keyframesSent = 0;
  keyframeRequests = 0;
  private readonly video: SendStream | null = null;
  private readonly audio: SendStream | null = null;
  private readonly vp8: Vp8Source | null = null;
  private readonly opus: AudioSource | null = null;
  private wantKeyframe = true;
  /** Video packets waiting for the pacer's budget; null sends each frame as one burst. */
  private readonly paced: PacedQueue<{ payload: Buffer; marker: boolean; ts: number }> | null;
  private audioLevelId = 0;
  private audioLevelTick = 0;
  private sending = false;
  private closed = false;
  private readonly clockOffsetMs: number;
  /** Where in its frame period each stream starts: independent cameras and microphones do not tick together. */
  private readonly phase: () => number;

  constructor(
    readonly id: string,
    opts: PublisherOptions,
  ) {
    this.pc = new RTCPeerConnection(loopbackConfig());
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
    this.phase = rng(opts.seed * 7919 + 1);
    this.paced =
      opts.video && opts.video.pacingFactor > 0
        ? new PacedQueue((opts.video.pacingFactor * opts.video.bitrateBps) / 8000, opts.video.pacingWindowMs)
        : null;
    if (opts.video) {
      const tr = this.pc.addTransceiver('video', { direction: 'sendonly' });
      this.video = this.makeStream(tr, 90000, 1000 / opts.video.fps);
      this.vp8 = new Vp8Source(opts.video, opts.seed);
      tr.sender.onRtcp.subscribe((p: RtcpPacket) => this.onRtcp(p));
    }
    if (opts.audio) {
      const tr = this.pc.addTransceiver('audio', { direction: 'sendonly' });
      this.audio = this.makeStream(tr, 48000, 1000 / opts.audio.pps);
      this.opus = new AudioSource(opts.audio, opts.seed);
    }
  }

  private makeStream(tr: RTCRtpTransceiver, clockRate: number, periodMs: number): SendStream {
    const id = nextStreamId++;
    this.streamIds.push(id);
    return {
      id,
      transceiver: tr,
      clockRate,
      seq: (Math.random() * 0xffff) | 0,
      ts: (Math.random() * 0xffffffff) >>> 0,
      index: 0,
      nextDueMs: 0,
      periodMs,
    };
  }

  private onRtcp(p: RtcpPacket): void {
    if (p instanceof RtcpPayloadSpecificFeedback) {
      const f = p.feedback;
      // PLI (RFC 4585 6.3.1) or FIR (RFC 5104 4.3.1, feedback message type 4).
      if (f instanceof PictureLossIndication || f.count === 4) {
        this.keyframeRequests++;
        this.wantKeyframe = true;
      }
    }
  }

  /** Creates our offer (all candidates gathered, loopback only) and the track meta for the SFU. */
  async offer(): Promise<{ sdp: string; meta: { mid: string; source: string }[] }> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await waitGathered(this.pc);
    const meta: { mid: string; source: string }[] = [];
    if (this.video?.transceiver.mid != null) meta.push({ mid: this.video.transceiver.mid, source: 'camera' });
    if (this.audio?.transceiver.mid != null)
      meta.push({ mid: this.audio.transceiver.mid, source: 'microphone' });
    return { sdp: onlyLoopbackCandidates(this.pc.localDescription!.sdp), meta };
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: candidatesToLoopback(sdp) });
    const ext = this.audio?.transceiver.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI);
    this.audioLevelId = ext ? ext.id : 0;
  }

  addRemoteCandidate(c: IceCandidateInit | null): void {
    if (this.closed || c === null) return;
    const lo = candidateToLoopback(c);
    if (lo) this.pc.addIceCandidate(lo as never).catch(() => undefined);
  }

  /** Starts sending at the next pacer tick (after DTLS is up: werift drops packets before). */
  start(nowMs: number): void {
    this.sending = true;
    this.wantKeyframe = true;
    if (this.video) this.video.nextDueMs = nowMs + this.phase() * this.video.periodMs;
    if (this.audio) this.audio.nextDueMs = nowMs + this.phase() * this.audio.periodMs;
  }

  /** Called by the pacer: sends every frame that is due. Bounded: at most 10 frames per stream. */
  tick(nowMs: number): void {
    if (!this.sending || this.closed) return;
    const v = this.video;
    if (v && this.vp8) {
      for (let n = 0; n < 10 && v.nextDueMs <= nowMs; n++) {
        const key = this.wantKeyframe;
        this.wantKeyframe = false;
        if (key) this.keyframesSent++;
        for (const p of this.vp8.frame(key)) {
          if (this.paced) this.paced.push({ payload: p.payload, marker: p.marker, ts: v.ts });
          else this.send(v, p.payload, p.marker, v.ts, null);
        }
        v.ts = (v.ts + Math.round((v.clockRate * v.periodMs) / 1000)) >>> 0;
        v.nextDueMs += v.periodMs;
      }
      if (v.nextDueMs <= nowMs) v.nextDueMs = nowMs + v.periodMs;
      this.paced?.drain(nowMs, (p) => this.send(v, p.payload, p.marker, p.ts, null));
    }
    const a = this.audio;
    if (a && this.opus) {
      for (let n = 0; n < 10 && a.nextDueMs <= nowMs; n++) {
        // RFC 6464 level: talk for 3 s, silence for 2 s, so speaker detection has work to do.
        this.audioLevelTick = (this.audioLevelTick + 1) % 250;
        const level = this.audioLevelTick < 150 ? 30 : 110;
        const ext = this.audioLevelId > 0 ? { id: this.audioLevelId, level } : null;
        this.send(a, this.opus.packet().payload, false, a.ts, ext);
        a.ts = (a.ts + Math.round((a.clockRate * a.periodMs) / 1000)) >>> 0;
        a.nextDueMs += a.periodMs;
      }
      if (a.nextDueMs <= nowMs) a.nextDueMs = nowMs + a.periodMs;
    }
  }

  private send(
    s: SendStream,
    payload: Buffer,
    marker: boolean,
    ts: number,
    level: { id: number; level: number } | null,
  ): void {
    const header = new RtpHeader({
      sequenceNumber: s.seq,
      timestamp: ts,
      marker,
      payloadType: 0,
    });
    if (level) {
      header.extension = true;
      header.extensions = [{ id: level.id, payload: Buffer.from([0x80 | level.level]) }];
    }
    s.seq = (s.seq + 1) & 0xffff;
    writeTrailer(payload, s.id, s.index++, performance.now() + this.clockOffsetMs);
    this.packetsSent++;
    this.bytesSent += payload.length;
    s.transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sending = false;
    this.pc.close().catch(() => undefined);
  }
}

/** One timer drives every publisher, so sending costs one wake-up per tick, not one per stream. */
export class Pacer {
  private readonly pubs = new Set<SynthPublisher>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs = 5) {}

  add(p: SynthPublisher): void {
    this.pubs.add(p);
    if (!this.timer) {
      this.timer = setInterval(() => {
        const now = performance.now();
        for (const pub of this.pubs) pub.tick(now);
      }, this.intervalMs);
    }
  }

  remove(p: SynthPublisher): void {
    this.pubs.delete(p);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pubs.clear();
  }
}
