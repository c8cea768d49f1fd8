// The subscriber connection: the SFU offers (one m-line per track we receive), we answer. Offers are
// applied strictly in order, each after the previous answer went out.
import { SignalTarget, type SessionDescription } from '@origo/proto/signal';
import { mark } from './marks.js';
import { PeerTransport, type TransportCallbacks } from './PeerTransport.js';
import type { SignalClient } from './SignalClient.js';

export class SubscriberConnection extends PeerTransport {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    iceServers: RTCIceServer[],
    signal: SignalClient,
    callbacks: TransportCallbacks & { onTrack(e: RTCTrackEvent): void },
  ) {
    super('subscriber', iceServers, signal, callbacks);
    this.pc.ontrack = (e) => {
      if (!this.isClosed) callbacks.onTrack(e);
    };
  }

  /** Negotiated at least once: there is something to restart or receive. */
  get negotiated(): boolean {
    return this.pc.remoteDescription !== null && this.pc.getTransceivers().length > 0;
  }

  onOffer(offer: SessionDescription): void {
    mark('subscriber-offer');
    this.chain = this.chain
      .then(() => this.answer(offer))
      .catch((e: unknown) => console.error('subscriber offer failed', e));
  }

  private async answer(offer: SessionDescription): Promise<void> {
    if (this.isClosed) return;
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await this.drainCandidates();
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.signal.send({ $case: 'subscriberAnswer', value: { sdp: answer.sdp ?? '', id: offer.id } });
    mark('subscriber-answer');
  }

  /** Asks the SFU for an offer with new ICE credentials; nothing to restart before the first offer. */
  restartIce(): void {
    if (this.isClosed || !this.negotiated) return;
    this.signal.send({ $case: 'iceRestart', value: { target: SignalTarget.SIGNAL_TARGET_SUBSCRIBER } });
  }
}
