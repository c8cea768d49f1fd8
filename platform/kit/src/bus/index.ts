export { createBusKv } from './create.js';
export { BusConnectionError, InvalidStateError } from './errors.js';
export { DEFAULT_NAMESPACE } from './common.js';
export type {
  Bus,
  BusKv,
  BusLogger,
  CreateBusKvOptions,
  Kv,
  MessageHandler,
  SetOptions,
  Unsubscribe,
} from './types.js';
export {
  participantsKey,
  placementKey,
  readParticipantNames,
  readPlacement,
  readRoomParticipants,
  type Placement,
  type RoomParticipant,
} from './room-state.js';
