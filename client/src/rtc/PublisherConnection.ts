// The publisher connection: we offer (camera with simulcast, microphone, screen), the SFU answers. Calls
// made while a negotiation runs are coalesced into one more round; an ICE restart rides on the next offer.
import type { SessionDescription } from '@origo/proto/signal';
import { mark } from './marks.js';
import { PeerTransport, type TransportCallbacks } from './PeerTransport.js';
import type { SignalClient } from './SignalClient.js';

export class PublisherConnection extends PeerTransport {
  private offerId = 0;
  private negotiating = false;
  private again = false;
  private restartIceNext = false;

  constructor(iceServers: RTCIceServer[], signal: SignalClient, callbacks: TransportCallbacks) {
    super('publisher', iceServers, signal, callbacks);
  }

  get hasSenders(): boolean {
    return this.pc.getTransceivers().length > 0;
  }

  addTransceiver(track: MediaStreamTrack, init: RTCRtpTransceiverInit): RTCRtpTransceiver {
    const t = this.pc.addTransceiver(track, init);
    if (track.kind === 'video') preferVp8(t);
    return t;
  }

  /** Negotiates now, or once more after the running negotiation. */
  async negotiate(): Promise<void> {
    if (this.negotiating) {
      this.again = true;
      return;
    }
    this.negotiating = true;
    try {
      do {
        this.again = false;
        const iceRestart = this.restartIceNext;
        this.restartIceNext = false;
        const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
        await this.pc.setLocalDescription(offer);
        const id = ++this.offerId;
        mark('publisher-offer');
        const reply = await this.signal.request(
          { $case: 'publishOffer', value: { sdp: offer.sdp ?? '', id } },
          20_000,
        );
        if (reply.$case !== 'publisherAnswer')
          throw new Error(`unexpected reply ${reply.$case} to publish_offer`);
        await this.applyAnswer(reply.value);
      } while (this.again && !this.isClosed);
    } finally {
      this.negotiating = false;
    }
  }

  /** An answer to our latest offer; an answer to an older one is stale and ignored. */
  async applyAnswer(answer: SessionDescription): Promise<void> {
    if (this.isClosed || answer.id !== this.offerId || this.pc.signalingState !== 'have-local-offer') return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    mark('publisher-answer');
    await this.drainCandidates();
  }

  /** New ICE credentials on the next offer (after a network change or a failure). */
  restartIce(): Promise<void> {
    if (!this.hasSenders) return Promise.resolve();
    this.restartIceNext = true;
    return this.negotiate();
  }
}

/** The SFU forwards VP8 only: put it first so the offer does not lead with a codec it drops. */
function preferVp8(t: RTCRtpTransceiver): void {
  const caps = RTCRtpSender.getCapabilities?.('video');
  if (!caps || typeof t.setCodecPreferences !== 'function') return;
  const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === 'video/vp8');
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== 'video/vp8');
  if (vp8.length > 0) t.setCodecPreferences([...vp8, ...rest]);
}
