// Synthetic publishers for the fake transport: VP8 frames split into RTP packets with the payload
// descriptor of RFC 7741 section 4.2 (15-bit picture id, TL0PICIDX) and, on keyframes, the frame tag and
// start code with the frame size of RFC 6386 section 9.1; Opus packets carrying an RFC 6464 level. And
// the receiver's view of what a subscriber got: sequence numbers, timestamps and picture ids in order.
import { expect } from 'vitest';
import { parseVp8, seqDiff, tsDiff, Vp8Info } from '../../src/media/rtp.js';
import { picDiff } from '../../src/media/Vp8Munger.js';
import type { FakeInboundTrack, SentPacket } from './fakeTransport.js';

export interface Vp8PayloadInit {
  /** 15-bit picture id (7-bit when `shortPictureId`), -1 for none. */
  pictureId: number;
  shortPictureId?: boolean;
  /** TL0PICIDX, -1 for none. */
  tl0PicIdx: number;
  /** First packet of the frame (S bit, partition 0): carries the VP8 payload header. */
  start: boolean;
  keyframe: boolean;
  width: number;
  height: number;
  /** Bytes after the headers. */
  filler: number;
}

export function vp8Payload(o: Vp8PayloadInit): Buffer {
  const bytes: number[] = [];
  const hasPic = o.pictureId >= 0;
  const hasTl0 = o.tl0PicIdx >= 0;
  const x = hasPic || hasTl0;
  bytes.push((x ? 0x80 : 0) | (o.start ? 0x10 : 0));
  if (x) bytes.push((hasPic ? 0x80 : 0) | (hasTl0 ? 0x40 : 0));
  if (hasPic) {
    if (o.shortPictureId) bytes.push(o.pictureId & 0x7f);
    else bytes.push(0x80 | ((o.pictureId >> 8) & 0x7f), o.pictureId & 0xff);
  }
  if (hasTl0) bytes.push(o.tl0PicIdx & 0xff);
  if (o.start) {
    // Frame tag (RFC 6386 9.1): P bit 0 on keyframes, version 0, show_frame 1, first_part_size 0.
    bytes.push(o.keyframe ? 0x10 : 0x11, 0x00, 0x00);
    if (o.keyframe) {
      bytes.push(0x9d, 0x01, 0x2a);
      bytes.push(o.width & 0xff, (o.width >> 8) & 0x3f, o.height & 0xff, (o.height >> 8) & 0x3f);
    }
  }
  for (let i = 0; i < o.filler; i++) bytes.push((i * 7 + 3) & 0xff);
  return Buffer.from(bytes);
}

export interface Vp8SourceInit {
  seq?: number;
  ts?: number;
  pictureId?: number;
  shortPictureId?: boolean;
  tl0PicIdx?: number;
  width?: number;
  height?: number;
  packetsPerFrame?: number;
  /** RTP ticks per frame (90 kHz clock): 3000 is 30 fps. */
  frameTicks?: number;
  /** Payload bytes per packet after the headers (sets the layer's bitrate). */
  filler?: number;
}

/** One encoder output (a simulcast layer) sending frames into an inbound track. */
export class Vp8Source {
  seq: number;
  ts: number;
  pictureId: number;
  tl0PicIdx: number;
  readonly shortPictureId: boolean;
  readonly width: number;
  readonly height: number;
  readonly packetsPerFrame: number;
  readonly frameTicks: number;
  readonly filler: number;
  /** Sequence numbers of the first packet of each keyframe sent, for the test's bookkeeping. */
  readonly keyframeSeqs: number[] = [];

  constructor(
    readonly track: FakeInboundTrack,
    o: Vp8SourceInit = {},
  ) {
    this.seq = o.seq ?? 1000;
    this.ts = o.ts ?? 90000;
    this.pictureId = o.pictureId ?? 100;
    this.shortPictureId = o.shortPictureId ?? false;
    this.tl0PicIdx = o.tl0PicIdx ?? 10;
    this.width = o.width ?? 320;
    this.height = o.height ?? 180;
    this.packetsPerFrame = o.packetsPerFrame ?? 3;
    this.frameTicks = o.frameTicks ?? 3000;
    this.filler = o.filler ?? 20;
  }

  /** Sends one frame; a keyframe when asked. */
  frame(keyframe = false): void {
    if (keyframe) this.keyframeSeqs.push(this.seq);
    for (let i = 0; i < this.packetsPerFrame; i++) {
      this.track.inject({
        seq: this.seq,
        ts: this.ts,
        marker: i === this.packetsPerFrame - 1,
        payload: vp8Payload({
          pictureId: this.pictureId,
          shortPictureId: this.shortPictureId,
          tl0PicIdx: this.tl0PicIdx,
          start: i === 0,
          keyframe,
          width: this.width,
          height: this.height,
          filler: this.filler,
        }),
      });
      this.seq = (this.seq + 1) & 0xffff;
    }
    this.ts = (this.ts + this.frameTicks) >>> 0;
    this.pictureId = (this.pictureId + 1) & (this.shortPictureId ? 0x7f : 0x7fff);
    this.tl0PicIdx = (this.tl0PicIdx + 1) & 0xff;
  }
}

/** An Opus stream with an RFC 6464 level per packet (0 loudest, 127 silence). */
export class OpusSource {
  constructor(
    readonly track: FakeInboundTrack,
    public seq = 200,
    public ts = 48000,
  ) {}

  packet(level = 127): void {
    this.track.inject({
      seq: this.seq,
      ts: this.ts,
      marker: false,
      payload: Buffer.from([0x78, 0x01, 0x02, 0x03]),
      audioLevel: level,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 960) >>> 0;
  }
}

/** A sent packet as a receiver parses it. */
export interface Received extends SentPacket {
  vp8: Vp8Info;
}

export function parseSent(sent: readonly SentPacket[]): Received[] {
  return sent.map((p) => {
    const vp8 = new Vp8Info();
    expect(parseVp8(p.payload, vp8), `packet ${p.seq} is not a valid VP8 payload`).toBe(true);
    return { ...p, vp8 };
  });
}

/**
 * What a receiver's jitter buffer and frame reference finder need from one stream: every packet is the
 * next sequence number, timestamps never run backwards and advance with each new picture, and each
 * picture id is the previous one or the next.
 */
export function expectContinuous(packets: readonly Received[]): void {
  for (let i = 1; i < packets.length; i++) {
    const a = packets[i - 1]!;
    const b = packets[i]!;
    const where = `packet ${i} (seq ${a.seq} -> ${b.seq}, ts ${a.ts} -> ${b.ts}, picture ${a.vp8.pictureId} -> ${b.vp8.pictureId})`;
    expect(seqDiff(b.seq, a.seq), `sequence number step at ${where}`).toBe(1);
    const samePicture = b.vp8.pictureId === a.vp8.pictureId;
    if (b.vp8.pictureId >= 0) {
      const step = b.vp8.pictureIdLong
        ? picDiff(b.vp8.pictureId, a.vp8.pictureId)
        : (b.vp8.pictureId - a.vp8.pictureId) & 0x7f;
      expect(samePicture || step === 1, `picture id step at ${where}`).toBe(true);
    }
    if (samePicture) expect(b.ts, `timestamp within a picture at ${where}`).toBe(a.ts);
    else expect(tsDiff(b.ts, a.ts), `timestamp step at ${where}`).toBeGreaterThan(0);
  }
}
