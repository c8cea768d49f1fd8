// `@origo/proto/sfu-rpc`: the internal SFU control API with the shared media vocabulary it uses.
export * from './gen/origo/rpc/sfu/v1/sfu.js';
export {
  SignalTarget,
  TrackKind,
  TrackSource,
  VideoLayer,
  VideoQuality,
} from './gen/origo/media/v1/media.js';
