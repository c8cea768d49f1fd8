// Drives one participant's peer on a worker over the real gRPC API (unary calls plus the Events
// stream), shaped as the media tests' PeerLike so the libwebrtc test client can publish through it.
import { Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { AppError, unary } from '@origo/kit';
import { SignalTarget, type SfuEvent, type SfuServiceClient } from '@origo/proto/sfu-rpc';
import type { IceCandidateInit, TrackMeta, TransportTarget } from '../../src/media/index.js';
import type { PeerLike, RouterLike } from '../media/wrtcClient.js';

type Listener = (...args: never[]) => void;

/** One Events stream of a worker, fanned out to the GrpcPeers of a test. */
export class EventFeed {
  readonly events: SfuEvent[] = [];
  private readonly peers = new Map<string, GrpcPeer>();
  readonly stream: ClientReadableStream<SfuEvent>;
  readonly ready: Promise<void>;

  constructor(client: SfuServiceClient, roomId?: string) {
    this.stream = client.events(roomId === undefined ? {} : { roomId }, new Metadata());
    this.ready = new Promise((resolve, reject) => {
      this.stream.once('metadata', () => resolve());
      this.stream.once('error', reject);
    });
    this.stream.on('data', (e: SfuEvent) => {
      this.events.push(e);
      this.peers.get(`${e.roomId}/${e.participantId}`)?.deliver(e);
    });
    this.stream.on('error', () => undefined);
  }

  register(peer: GrpcPeer): void {
    this.peers.set(`${peer.roomId}/${peer.participantId}`, peer);
  }

  close(): void {
    this.stream.cancel();
  }
}

export class GrpcPeer implements PeerLike {
  private readonly listeners = new Map<string, Listener[]>();
  private lastOfferId = 0;
  readonly created: Promise<unknown>;

  constructor(
    private readonly client: SfuServiceClient,
    readonly roomId: string,
    readonly participantId: string,
    feed: EventFeed,
  ) {
    feed.register(this);
    this.created = unary(client.createPeer.bind(client), {
      roomId,
      participantId,
      iceServers: [],
      canPublish: true,
      canSubscribe: true,
    });
  }

  on(event: string, fn: Listener): this {
    const list = this.listeners.get(event) ?? [];
    list.push(fn);
    this.listeners.set(event, list);
    return this;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }

  deliver(e: SfuEvent): void {
    const ev = e.event;
    if (ev?.$case === 'subscriberOffer') {
      this.lastOfferId = ev.value.offerId;
      this.emit('subscriberOffer', ev.value.sdp);
    } else if (ev?.$case === 'iceCandidate' && ev.value.candidate) {
      const c = ev.value.candidate;
      const target: TransportTarget =
        ev.value.target === SignalTarget.SIGNAL_TARGET_PUBLISHER ? 'publisher' : 'subscriber';
      this.emit(
        'iceCandidate',
        target,
        c.candidate === ''
          ? null
          : { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMlineIndex ?? null },
      );
    }
  }

  async handlePublisherOffer(sdp: string, _meta?: readonly TrackMeta[]): Promise<string> {
    await this.created;
    const res = await unary(this.client.publish.bind(this.client), {
      roomId: this.roomId,
      participantId: this.participantId,
      offerSdp: sdp,
      tracks: [],
    });
    return res.answerSdp;
  }

  async handleSubscriberAnswer(sdp: string): Promise<void> {
    try {
      await unary(this.client.setSubscriberAnswer.bind(this.client), {
        roomId: this.roomId,
        participantId: this.participantId,
        answerSdp: sdp,
        offerId: this.lastOfferId,
      });
    } catch (err) {
      // A late answer after the test closed this peer: nothing left to negotiate.
      if (err instanceof AppError && err.code === 'NOT_FOUND') return;
      throw err;
    }
  }

  async addIceCandidate(target: TransportTarget, c: IceCandidateInit | null): Promise<void> {
    await this.created;
    await unary(this.client.addIceCandidate.bind(this.client), {
      roomId: this.roomId,
      participantId: this.participantId,
      target:
        target === 'publisher' ? SignalTarget.SIGNAL_TARGET_PUBLISHER : SignalTarget.SIGNAL_TARGET_SUBSCRIBER,
      candidate: {
        candidate: c?.candidate ?? '',
        ...(typeof c?.sdpMid === 'string' ? { sdpMid: c.sdpMid } : {}),
        ...(typeof c?.sdpMLineIndex === 'number' ? { sdpMlineIndex: c.sdpMLineIndex } : {}),
      },
    });
  }
}

export function grpcRouter(client: SfuServiceClient, roomId: string, feed: EventFeed): RouterLike<GrpcPeer> {
  return { createPeer: (id) => new GrpcPeer(client, roomId, id, feed) };
}
