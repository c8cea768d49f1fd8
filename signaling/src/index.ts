// Public entry of @origo/signaling: the role, the service factory, and the token and TURN helpers
// the control plane and tests use.
export { signalingRole } from './role.js';
export { createSignalingService, type SignalingDeps, type SignalingService } from './service.js';
export { signalingConfig, signalingConfigSchema, type SignalingConfig } from './config.js';
export { CLOSE } from './node.js';
export {
  createJoinTokenVerifier,
  JOIN_TOKEN_ALGORITHMS,
  JOIN_TOKEN_AUDIENCE,
  JoinTokenError,
  localKeySource,
  publicJwk,
  remoteKeySource,
  signJoinToken,
  type JoinClaims,
  type JoinGrants,
  type JoinTokenVerifier,
  type SignJoinTokenOptions,
} from './token.js';
export { iceServersFor, turnCredentials, verifyTurnCredentials, type TurnCredentials } from './turn.js';
export { loadUws, uwsBinaryName } from './uws.js';
export {
  grpcRoomEventReporter,
  noReporter,
  type RoomEventReport,
  type RoomEventReporter,
} from './reporter.js';
export type { SfuDirectory } from './sfu.js';
export { grpcChatBackend, noChat, type ChatBackend } from './chatBackend.js';
