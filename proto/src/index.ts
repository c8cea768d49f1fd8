// Public entry of @origo/proto. Browser code that must not pull in @grpc/grpc-js imports the
// `@origo/proto/signal` and `@origo/proto/json` subpaths instead.
export * as signal from './signal.js';
export * as media from './gen/origo/media/v1/media.js';
export * as sfuRpc from './sfu-rpc.js';
export * as controlRpc from './gen/origo/rpc/control/v1/control.js';
export * as notificationRpc from './gen/origo/rpc/notification/v1/notification.js';
export {
  decodeSignalRequest,
  encodeSignalResponse,
  MAX_SIGNAL_MESSAGE_BYTES,
  type DecodedSignalRequest,
  type DecodeOptions,
  type DecodeResult,
} from './json.js';
