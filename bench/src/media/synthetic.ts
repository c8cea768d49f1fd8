// Pre-built media for the load generator: VP8-shaped RTP payloads (RFC 7741 descriptor, RFC 6386
// keyframe header, so the SFU's keyframe detection and layer logic see real structure) and
// Opus-sized audio payloads. Nothing is encoded at run time: a packet is a copy of random bytes with
// a header and a trailer written in, so the generator stays cheap.
//
// Trailer (last 16 bytes of every payload): stream id u32 BE, packet index u32 BE, send time
// float64 LE (performance.now() of the generator process, which also receives: same clock).

export const TRAILER_BYTES = 16;
/** Payload bytes per video packet, about what libwebrtc puts in a 1200-byte RTP packet. */
export const VIDEO_MTU_PAYLOAD = 1160;

const POOL = Buffer.alloc(256 * 1024);
for (let i = 0; i < POOL.length; i++) POOL[i] = (Math.random() * 256) | 0;

/** Deterministic pseudo-random numbers (mulberry32) so runs offer the same load. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function writeTrailer(buf: Buffer, streamId: number, index: number, sendMs: number): void {
  const o = buf.length - TRAILER_BYTES;
  buf.writeUInt32BE(streamId >>> 0, o);
  buf.writeUInt32BE(index >>> 0, o + 4);
  buf.writeDoubleLE(sendMs, o + 8);
}

export interface Trailer {
  streamId: number;
  index: number;
  sendMs: number;
}

/** Reads the trailer; false when the payload is too short to carry one. */
export function readTrailer(buf: Uint8Array, out: Trailer): boolean {
  const len = buf.length;
  if (len < TRAILER_BYTES) return false;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const o = len - TRAILER_BYTES;
  out.streamId = b.readUInt32BE(o);
  out.index = b.readUInt32BE(o + 4);
  out.sendMs = b.readDoubleLE(o + 8);
  return true;
}

export interface VideoProfile {
  width: number;
  height: number;
  fps: number;
  bitrateBps: number;
  /** Keyframe size as a multiple of the mean delta frame. */
  keyframeFactor: number;
  /** Uniform size jitter of delta frames, 0..1. */
  jitter: number;
  /**
   * Pacing rate as a multiple of the bitrate, the way libwebrtc's pacer (which Chromium publishes
   * through) spreads a frame's packets: 2.5 by default, 0 sends each frame as one burst.
   */
  pacingFactor: number;
  /**
   * How much of the pacing rate may leave at once, in ms of it: libwebrtc's `send_burst_interval`, 40 ms
   * since 2023 (so a delta frame leaves as one burst and only key frames are spread); 5 is the older
   * pacer's process interval.
   */
  pacingWindowMs: number;
}

/** libwebrtc's default send burst interval (`PacingController::kDefaultBurstInterval`). */
export const LIBWEBRTC_BURST_INTERVAL_MS = 40;

/**
 * A pacer's queue with libwebrtc's interval budget: the debt drains at the pacing rate and a packet
 * leaves while the debt is under one window's worth. A 4 Mbit/s frame of 14 packets paced at 2.5x leaves
 * as one burst with a 40 ms window, and in about three bursts over 13 ms with a 5 ms one.
 */
export class PacedQueue<T extends { payload: Buffer }> {
  private readonly queue: T[] = [];
  private debtBytes = 0;
  private lastMs: number | null = null;

  constructor(
    private readonly bytesPerMs: number,
    private readonly windowMs: number,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  push(item: T): void {
    this.queue.push(item);
  }

  /** Hands `send` every packet the budget allows at `nowMs`, oldest first. */
  drain(nowMs: number, send: (item: T) => void): void {
    const elapsed = this.lastMs === null ? 0 : Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    this.debtBytes = Math.max(0, this.debtBytes - this.bytesPerMs * elapsed);
    const window = this.bytesPerMs * this.windowMs;
    let n = 0;
    while (n < this.queue.length && this.debtBytes < window) {
      const item = this.queue[n++]!;
      this.debtBytes += item.payload.length;
      send(item);
    }
    if (n > 0) this.queue.splice(0, n);
  }
}

export const DEFAULT_VIDEO: VideoProfile = {
  width: 1280,
  height: 720,
  fps: 30,
  bitrateBps: 1_000_000,
  keyframeFactor: 8,
  jitter: 0.3,
  pacingFactor: 2.5,
  pacingWindowMs: LIBWEBRTC_BURST_INTERVAL_MS,
};

export interface AudioProfile {
  /** Packets per second (Opus 20 ms frames: 50). */
  pps: number;
  /** Payload bytes per packet (Opus at ~40 kbps: ~100-120). */
  bytes: number;
}

export const DEFAULT_AUDIO: AudioProfile = { pps: 50, bytes: 120 };

export interface OutPacket {
  payload: Buffer;
  marker: boolean;
}

/**
 * VP8-like frame source. frame(keyframe) returns the RTP payloads of the next frame, each with
 * the VP8 payload descriptor (X, S bits, 15-bit picture id) and, on the first packet, the VP8 frame
 * tag; keyframes carry the start code and size. Trailers are written by the sender at send time.
 */
export class Vp8Source {
  private pictureId = 0;
  private readonly rand: () => number;
  private poolOffset = 0;
  readonly meanDeltaBytes: number;

  constructor(
    readonly profile: VideoProfile,
    seed: number,
  ) {
    this.rand = rng(seed);
    const perSecond = profile.bitrateBps / 8;
    // One keyframe per ~10 s in the average; the rest are delta frames.
    const framesPer10s = profile.fps * 10;
    this.meanDeltaBytes = Math.max(
      200,
      Math.round((perSecond * 10) / (framesPer10s - 1 + profile.keyframeFactor)),
    );
  }

  frame(keyframe: boolean): OutPacket[] {
    const p = this.profile;
    const size = keyframe
      ? Math.round(this.meanDeltaBytes * p.keyframeFactor)
      : Math.max(60, Math.round(this.meanDeltaBytes * (1 + (this.rand() * 2 - 1) * p.jitter)));
    const descriptor = 4;
    const room = VIDEO_MTU_PAYLOAD - descriptor - TRAILER_BYTES;
    const count = Math.max(1, Math.ceil(size / room));
    const chunk = Math.ceil(size / count);
    const pid = this.pictureId;
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    const out: OutPacket[] = [];
    for (let i = 0; i < count; i++) {
      const body = i === count - 1 ? size - chunk * (count - 1) : chunk;
      const len = descriptor + Math.max(body, 10) + TRAILER_BYTES;
      const buf = Buffer.allocUnsafe(len);
      if (this.poolOffset + len > POOL.length) this.poolOffset = 0;
      POOL.copy(buf, 0, this.poolOffset, this.poolOffset + len);
      this.poolOffset += len;
      // RFC 7741 4.2: X=1, S=1 on the first packet of the frame, PID=0; I=1; M=1 15-bit picture id.
      buf[0] = i === 0 ? 0x90 : 0x80;
      buf[1] = 0x80;
      buf[2] = 0x80 | (pid >> 8);
      buf[3] = pid & 0xff;
      if (i === 0) {
        const h = descriptor;
        // RFC 6386 9.1 frame tag: bit 0 is P (0 = keyframe), bit 4 show_frame.
        buf[h] = keyframe ? 0x10 : 0x11;
        if (keyframe) {
          buf[h + 3] = 0x9d;
          buf[h + 4] = 0x01;
          buf[h + 5] = 0x2a;
          buf.writeUInt16LE(p.width & 0x3fff, h + 6);
          buf.writeUInt16LE(p.height & 0x3fff, h + 8);
        }
      }
      out.push({ payload: buf, marker: i === count - 1 });
    }
    return out;
  }
}

/** Opus-sized audio packets; one call per 20 ms. */
export class AudioSource {
  private poolOffset = 0;
  private readonly rand: () => number;

  constructor(
    readonly profile: AudioProfile,
    seed = 1,
  ) {
    this.rand = rng(seed);
  }

  /**
   * One packet of about `bytes` (within a quarter either way, as Opus's variable rate gives): the wire
   * latency's pairing tells streams of the same rate apart by their payload sizes.
   */
  packet(): OutPacket {
    const bytes = this.profile.bytes;
    const len = Math.max(Math.round(bytes * (0.75 + this.rand() * 0.5)), TRAILER_BYTES + 4);
    const buf = Buffer.allocUnsafe(len);
    if (this.poolOffset + len > POOL.length) this.poolOffset = 0;
    POOL.copy(buf, 0, this.poolOffset, this.poolOffset + len);
    this.poolOffset += len;
    // TOC byte of an Opus packet: config 15 (hybrid FB 20 ms), mono, one frame (RFC 6716 3.1).
    buf[0] = 0x78;
    return { payload: buf, marker: false };
  }
}

/** Expected packets per second of one publisher with these profiles (for the plan printout). */
export function expectedPps(video: VideoProfile | null, audio: AudioProfile | null): number {
  let pps = 0;
  if (video) {
    const room = VIDEO_MTU_PAYLOAD - 4 - TRAILER_BYTES;
    pps += (video.bitrateBps / 8 / room) * 1.0 + video.fps * 0.5;
  }
  if (audio) pps += audio.pps;
  return pps;
}
