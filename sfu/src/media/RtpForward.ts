// Forwards chosen producers of a router as plain RTP to a recorder (no ICE, DTLS or SRTP): one Consumer per
// producer, each sending on its own PlainRtpTrack to its own UDP port, so a receiver such as FFmpeg reading an
// SDP file gets one RTP session per m-line. Ordinary subscribers are untouched: this only adds sinks to the
// producers it forwards.
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { Consumer } from './Consumer.js';
import { SafeEmitter } from './emitter.js';
import { InvalidArgumentError, InvalidStateError, NotFoundError } from './errors.js';
import type { MediaStats } from './MediaStats.js';
import { PeerCounters } from './PeerCounters.js';
import { PlainRtpTrack, type PlainRtpTarget } from './PlainRtpTrack.js';
import type { Producer } from './Producer.js';

/** Dynamic payload types (RFC 3551 6) written into the forwarded packets; the receiver's SDP uses the same. */
export const PLAIN_RTP_PAYLOAD_TYPES = { video: 96, audio: 111 } as const;

export interface RtpForwardStream {
  producer: Producer;
  target: PlainRtpTarget;
}

/** What a receiver needs to describe one forwarded stream in its SDP. */
export interface ForwardedStream {
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  mimeType: string;
  clockRate: number;
  channels: number;
  payloadType: number;
  ssrc: number;
  target: PlainRtpTarget;
}

export type RtpForwardEvents = {
  /** A forwarded producer closed (its participant left or stopped publishing). */
  streamClosed: [producerId: string, reason: string];
  close: [reason: string];
};

export class RtpForward extends SafeEmitter<RtpForwardEvents> {
  private readonly socket: Socket;
  private readonly consumers = new Map<string, { consumer: Consumer; track: PlainRtpTrack }>();
  private closed = false;
  /** Send errors (the receiver's port closed: ICMP unreachable), counted instead of thrown. */
  sendErrors = 0;
  /** What this forward sent to its recorder, all streams together. */
  readonly counters = new PeerCounters();

  constructor(
    readonly id: string,
    private readonly stats: MediaStats,
    family: 'udp4' | 'udp6' = 'udp4',
  ) {
    super();
    this.socket = createSocket(family);
    this.socket.on('error', () => {
      this.sendErrors++;
    });
    this.socket.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Starts forwarding one producer to `target`; returns how the stream is described. */
  add(stream: RtpForwardStream): ForwardedStream {
    if (this.closed) throw new InvalidStateError('forward closed');
    const { producer, target } = stream;
    if (producer.isClosed) throw new NotFoundError(`producer ${producer.id} closed`);
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
      throw new InvalidArgumentError('port must be 1..65535');
    if (typeof target.host !== 'string' || target.host.length === 0)
      throw new InvalidArgumentError('host must be a non-empty string');
    if (this.consumers.has(producer.id))
      throw new InvalidStateError(`producer ${producer.id} already forwarded`);
    const payloadType = PLAIN_RTP_PAYLOAD_TYPES[producer.kind];
    const track = new PlainRtpTrack(
      producer.kind,
      producer.codec,
      randomInt(1, 0xffffffff),
      payloadType,
      { host: target.host, port: target.port },
      this.socket,
      producer.peerId,
    );
    // The Consumer asks the publisher for a keyframe on its first packet (track ready from the start), so the
    // recording's video begins at a keyframe.
    const consumer = new Consumer(
      producer,
      `rtp-forward:${this.id}`,
      track,
      this.stats,
      () => consumer.close('error'),
      {},
      this.counters,
    );
    this.consumers.set(producer.id, { consumer, track });
    consumer.on('close', (reason) => {
      this.consumers.delete(producer.id);
      track.close();
      if (!this.closed) this.safeEmit('streamClosed', producer.id, reason);
    });
    return {
      producerId: producer.id,
      participantId: producer.peerId,
      kind: producer.kind,
      mimeType: producer.codec.mimeType,
      clockRate: producer.codec.clockRate,
      channels: producer.codec.channels ?? (producer.kind === 'audio' ? 2 : 0),
      payloadType,
      ssrc: track.ssrc,
      target: track.target,
    };
  }

  /** Asks every forwarded video producer for a keyframe (throttled per layer by the producer). */
  requestKeyframes(): void {
    for (const { consumer } of this.consumers.values())
      if (consumer.kind === 'video') consumer.onKeyframeRequest();
  }

  get streamCount(): number {
    return this.consumers.size;
  }

  packetsSent(): number {
    let n = 0;
    for (const { track } of this.consumers.values()) n += track.packetsSent;
    return n;
  }

  /** Synchronous and idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const { consumer } of [...this.consumers.values()]) consumer.close(reason);
    this.consumers.clear();
    this.socket.close();
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }
}
