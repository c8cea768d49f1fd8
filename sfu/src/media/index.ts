export {
  Router,
  type RouterOptions,
  type RouterEvents,
  type ActiveSpeaker,
  type TransportKind,
} from './Router.js';
export { Peer, type PeerEvents, type PeerOptions, type TrackMeta } from './Peer.js';
export { Producer, type ProducerEvents, type SubscribedQuality } from './Producer.js';
export { Consumer, type ConsumerEvents, type ConsumerOptions } from './Consumer.js';
export { MediaStats, type MediaStatsSnapshot } from './MediaStats.js';
export { PeerCounters } from './PeerCounters.js';
export { LayerSelector, type LayerInfo, type LayerRequest } from './LayerSelector.js';
export { Munger } from './Munger.js';
export { PacketCache, type CachedPacket } from './PacketCache.js';
export { PliThrottle } from './PliThrottle.js';
export { SpeakerDetector, type Speaker } from './SpeakerDetector.js';
export { setListenerErrorReporter } from './emitter.js';
export * from './errors.js';
export type * from './transport.js';
export { WeriftTransportFactory, type WeriftTransportOptions } from './WeriftTransport.js';
export { NdcTransportFactory, loopbackOnlyHost, type NdcTransportOptions } from './NdcTransport.js';
export {
  RtpForward,
  PLAIN_RTP_PAYLOAD_TYPES,
  type RtpForwardEvents,
  type RtpForwardStream,
  type ForwardedStream,
} from './RtpForward.js';
export { PlainRtpTrack, type PlainRtpTarget } from './PlainRtpTrack.js';
