// Public entry of @origo/recording.
export {
  Recorder,
  NothingToRecordError,
  finalizeInterrupted,
  type NameLookup,
  type RecorderOptions,
  type RecordingResult,
} from './Recorder.js';
export {
  LocalStorage,
  checkKey,
  type ByteRange,
  type RecordingStorage,
  type StoredObject,
} from './storage.js';
export { S3Storage, type S3StorageOptions } from './s3Storage.js';
export { grpcForwarder, placementLocator, type RtpForwarder, type RoomLocator } from './forwarder.js';
export {
  buildSdp,
  checkFfmpeg,
  compositeArgs,
  compositeFilter,
  concatArgs,
  concatList,
  gridOf,
  layoutTiles,
  DEFAULT_COMPOSITE,
  FONT_CANDIDATES,
  type CompositeOptions,
  type RtpStreamDescription,
} from './ffmpeg.js';
export { reserveRtpPorts } from './ports.js';
export { recordingRole } from './role.js';
export { recordingConfigSchema, type RecordingEnvConfig } from './config.js';
export {
  createRecordingService,
  openRecordingDatabase,
  RECORDING_MIGRATIONS,
  type RecordingService,
  type RecordingServiceDeps,
  type RecordingDatabase,
} from './service.js';
export { RecordingManager, type RecordingManagerDeps } from './manager.js';
export { RecordingStore, type Actor, type RecordingStatus } from './store.js';
export { recordingJson } from './http/routes.js';
export * as recordingSchema from './db/schema.js';
