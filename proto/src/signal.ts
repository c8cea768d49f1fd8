// `@origo/proto/signal`: the public signaling protocol with the shared media vocabulary it uses, so a
// browser imports one module for everything it speaks.
export * from './gen/origo/signal/v1/signal.js';
export {
  SignalTarget,
  TrackKind,
  TrackSource,
  VideoLayer,
  VideoQuality,
} from './gen/origo/media/v1/media.js';
