// One participant's peer in a worker: the media core's Peer plus the negotiation bookkeeping the control
// API needs (offer ids, ICE candidates that overtook their description, what the subscriber asked for per
// track) and the relay of the peer's events onto the worker's event feed.
import { AppError } from '@origo/kit';
import { VideoQuality, type CreatePeerRequest, type SfuEvent } from '@origo/proto/sfu-rpc';
import type { IceCandidateInit, LayerRequest, Peer, TrackMeta, TransportTarget } from '../media/index.js';
import { mediaAsync, STATE_MAP, toTarget } from './convert.js';

const EARLY_CANDIDATE_LIMIT = 64;

export interface SubscriberSettings {
  paused: boolean;
  width: number;
  height: number;
  quality: VideoQuality;
}

export type EmitEvent = (event: SfuEvent) => void;

export class PeerSession {
  readonly participantId: string;
  readonly canPublish: boolean;
  readonly canSubscribe: boolean;
  /** What the subscriber asked for per track id (UpdateTrackSettings). */
  readonly settings = new Map<string, SubscriberSettings>();
  /** Id of the last subscriber offer sent; answers must echo it. */
  private offerId = 0;
  /** Offer id of the last subscriber answer applied. */
  private answeredOfferId = 0;
  /** The publisher connection has a remote description for its current ICE credentials. */
  private publisherReady = false;
  /**
   * Candidates that arrived before the description they belong to (browsers trickle as soon as they
   * gather, which can overtake the answer or the offer on the way); applied right after it.
   */
  private readonly early: Record<TransportTarget, IceCandidateInit[]> = { publisher: [], subscriber: [] };

  constructor(
    readonly peer: Peer,
    readonly roomId: string,
    req: CreatePeerRequest,
    private readonly emit: EmitEvent,
    private readonly onEarlyRejected: (err: unknown, target: TransportTarget) => void,
  ) {
    this.participantId = req.participantId;
    this.canPublish = req.canPublish;
    this.canSubscribe = req.canSubscribe;
    this.relayEvents();
  }

  private relayEvents(): void {
    const base = { roomId: this.roomId, participantId: this.participantId };
    const { peer } = this;
    peer.on('subscriberOffer', (sdp) => {
      this.offerId += 1;
      this.emit({ ...base, event: { $case: 'subscriberOffer', value: { sdp, offerId: this.offerId } } });
    });
    peer.on('iceCandidate', (target, c) => {
      const candidate =
        c === null
          ? { candidate: '' }
          : {
              candidate: c.candidate,
              ...(typeof c.sdpMid === 'string' ? { sdpMid: c.sdpMid } : {}),
              ...(typeof c.sdpMLineIndex === 'number' ? { sdpMlineIndex: c.sdpMLineIndex } : {}),
              ...(typeof c.usernameFragment === 'string' ? { usernameFragment: c.usernameFragment } : {}),
            };
      this.emit({
        ...base,
        event: { $case: 'iceCandidate', value: { target: toTarget(target), candidate } },
      });
    });
    peer.on('connectionState', (target, state) => {
      this.emit({
        ...base,
        event: { $case: 'peerState', value: { target: toTarget(target), state: STATE_MAP[state] } },
      });
    });
    peer.on('consumerAdded', (consumer) => {
      consumer.on('layerChanged', (layer) => {
        const producerLayer = layer >= 0 ? consumer.producer.layers[layer] : undefined;
        this.emit({
          ...base,
          event: {
            $case: 'layerChanged',
            value: {
              trackId: consumer.producerId,
              quality: layer < 0 ? VideoQuality.VIDEO_QUALITY_UNSPECIFIED : ((layer + 1) as VideoQuality),
              rid: producerLayer?.rid ?? '',
            },
          },
        });
      });
    });
  }

  async answerPublisher(offerSdp: string, metas: TrackMeta[]): Promise<string> {
    const answer = await mediaAsync(() => this.peer.handlePublisherOffer(offerSdp, metas));
    this.publisherReady = true;
    await this.flushEarly('publisher');
    return answer;
  }

  async applySubscriberAnswer(answerSdp: string, offerId: number): Promise<void> {
    if (offerId !== 0 && offerId !== this.offerId)
      throw AppError.precondition(
        `answer to offer ${offerId} is stale (latest ${this.offerId})`,
        'stale_answer',
      );
    await mediaAsync(() => this.peer.handleSubscriberAnswer(answerSdp));
    this.answeredOfferId = this.offerId;
    await this.flushEarly('subscriber');
  }

  async addIceCandidate(target: TransportTarget, init: IceCandidateInit): Promise<void> {
    const early =
      target === 'publisher'
        ? !this.publisherReady
        : this.offerId === 0 || this.answeredOfferId < this.offerId;
    if (early) {
      if (this.early[target].length >= EARLY_CANDIDATE_LIMIT)
        throw AppError.invalid('too many ICE candidates before the description');
      this.early[target].push(init);
      return;
    }
    await mediaAsync(() => this.peer.addIceCandidate(target, init));
  }

  /** New ICE credentials; for the publisher the client's restart offer, when given, is answered. */
  async restartIce(target: TransportTarget, offerSdp: string): Promise<string> {
    await mediaAsync(async () => this.peer.restartIce(target));
    if (target !== 'publisher') return '';
    this.publisherReady = false;
    if (offerSdp === '') return '';
    return this.answerPublisher(offerSdp, []);
  }

  setPreferredLayers(producerId: string, request: LayerRequest, paused: boolean): void {
    this.peer.setPreferredLayers(producerId, request, paused);
  }

  private async flushEarly(target: TransportTarget): Promise<void> {
    for (const c of this.early[target].splice(0)) {
      await this.peer.addIceCandidate(target, c).catch((err: unknown) => this.onEarlyRejected(err, target));
    }
  }
}
