// Mapping between the media core's vocabulary and the control API's: states, targets, reasons, typed
// errors to canonical codes, and the checks every id gets at the edge.
import { AppError, ErrorCode } from '@origo/kit';
import { PeerConnectionState, SignalTarget, TrackClosedReason, TrackSource } from '@origo/proto/sfu-rpc';
import { MediaError, type TransportConnectionState, type TransportTarget } from '../media/index.js';

export const MAX_ID_LENGTH = 256;
export const MAX_SDP_BYTES = 256 * 1024;

/** Source names the media core uses (Producer.source). */
export const SOURCE_NAMES: Record<TrackSource, string> = {
  [TrackSource.TRACK_SOURCE_UNSPECIFIED]: 'unspecified',
  [TrackSource.TRACK_SOURCE_CAMERA]: 'camera',
  [TrackSource.TRACK_SOURCE_MICROPHONE]: 'microphone',
  [TrackSource.TRACK_SOURCE_SCREEN_SHARE]: 'screen_share',
  [TrackSource.TRACK_SOURCE_SCREEN_SHARE_AUDIO]: 'screen_share_audio',
  [TrackSource.UNRECOGNIZED]: 'unspecified',
};

export const STATE_MAP: Record<TransportConnectionState, PeerConnectionState> = {
  new: PeerConnectionState.PEER_CONNECTION_STATE_NEW,
  connecting: PeerConnectionState.PEER_CONNECTION_STATE_CONNECTING,
  connected: PeerConnectionState.PEER_CONNECTION_STATE_CONNECTED,
  disconnected: PeerConnectionState.PEER_CONNECTION_STATE_DISCONNECTED,
  failed: PeerConnectionState.PEER_CONNECTION_STATE_FAILED,
  closed: PeerConnectionState.PEER_CONNECTION_STATE_CLOSED,
};

export function toTarget(target: TransportTarget): SignalTarget {
  return target === 'publisher'
    ? SignalTarget.SIGNAL_TARGET_PUBLISHER
    : SignalTarget.SIGNAL_TARGET_SUBSCRIBER;
}

export function fromTarget(target: SignalTarget): TransportTarget {
  if (target === SignalTarget.SIGNAL_TARGET_PUBLISHER) return 'publisher';
  if (target === SignalTarget.SIGNAL_TARGET_SUBSCRIBER) return 'subscriber';
  throw AppError.invalid('target must be PUBLISHER or SUBSCRIBER');
}

export function checkId(name: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH)
    throw AppError.invalid(`${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  return value;
}

export function checkSdp(name: string, value: string, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || value.length > MAX_SDP_BYTES)
    throw AppError.invalid(`${name} must be an SDP of at most 256 KiB`);
  return value;
}

/** The media core's typed errors become canonical codes; anything else stays internal. */
export function mediaToAppError(err: unknown): unknown {
  if (!(err instanceof MediaError)) return err;
  switch (err.code) {
    case 'INVALID_ARGUMENT':
    case 'SDP_REJECTED':
      return new AppError(ErrorCode.INVALID_ARGUMENT, err.message, {
        cause: err,
        reason: err.code.toLowerCase(),
      });
    case 'NOT_FOUND':
      return new AppError(ErrorCode.NOT_FOUND, err.message, { cause: err });
    case 'INVALID_STATE':
      return new AppError(ErrorCode.FAILED_PRECONDITION, err.message, { cause: err });
    case 'UNSUPPORTED':
      return new AppError(ErrorCode.UNIMPLEMENTED, err.message, { cause: err });
  }
}

/** Runs a media-core call, converting its typed errors. */
export function media<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw mediaToAppError(err);
  }
}

export async function mediaAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mediaToAppError(err);
  }
}

export function closedReason(reason: string): TrackClosedReason {
  if (reason === 'unpublished') return TrackClosedReason.TRACK_CLOSED_REASON_UNPUBLISHED;
  if (reason === 'peerclose' || reason === 'routerclose')
    return TrackClosedReason.TRACK_CLOSED_REASON_PEER_CLOSED;
  return TrackClosedReason.TRACK_CLOSED_REASON_UNSPECIFIED;
}
