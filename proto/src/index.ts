// Public entry of @origo/proto. Browser code that must not pull in @grpc/grpc-js imports the
// `@origo/proto/signal` and `@origo/proto/json` subpaths instead.
export * as signal from './gen/origo/signal/v1/signal.js';
export * as sfuRpc from './gen/origo/rpc/sfu/v1/sfu.js';
export * as controlRpc from './gen/origo/rpc/control/v1/control.js';
export {
  decodeSignalRequest,
  encodeSignalResponse,
  MAX_SIGNAL_MESSAGE_BYTES,
  type DecodedSignalRequest,
  type DecodeOptions,
  type DecodeResult,
} from './json.js';
