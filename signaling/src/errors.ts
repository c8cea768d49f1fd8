// How failures reach a client: close codes of the socket and the ErrorResponse codes. Whatever the SFU
// or the store threw is mapped here, once; internals are never shown to the client.
import { AppError, ErrorCode as AppCode } from '@origo/kit';
import { ErrorCode } from '@origo/proto/signal';

/** Close codes of the signaling socket (4000-4999 is the application range of RFC 6455 7.4.2). */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** A frame beyond the hard size limit (RFC 6455 7.4.1). */
  TOO_BIG: 1009,
  /** No valid join within SIGNAL_JOIN_TIMEOUT_MS. */
  JOIN_TIMEOUT: 4401,
  /** Too many failed join attempts on one socket. */
  AUTH_FAILURES: 4403,
  /** No message within SIGNAL_IDLE_TIMEOUT_MS. */
  IDLE_TIMEOUT: 4408,
  /** The session was resumed on another socket. */
  REPLACED: 4409,
  /** The connection kept sending faster than the rate limit. */
  RATE_LIMITED: 4429,
} as const;

/** An error answered to the client as ErrorResponse. */
export class SignalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason: string = ErrorCode[code].replace('ERROR_CODE_', '').toLowerCase(),
  ) {
    super(message);
    this.name = 'SignalError';
  }
}

export function invalid(message: string): SignalError {
  return new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, message);
}

/** Maps what the SFU (or anything else) threw to the client-facing code; internals are not shown. */
export function toSignalError(err: unknown): SignalError {
  if (err instanceof SignalError) return err;
  if (!(err instanceof AppError))
    return new SignalError(ErrorCode.ERROR_CODE_INTERNAL, 'internal error', 'internal');
  switch (err.code) {
    case AppCode.INVALID_ARGUMENT:
    case AppCode.OUT_OF_RANGE:
      return new SignalError(ErrorCode.ERROR_CODE_INVALID_REQUEST, err.message, 'sfu_rejected');
    case AppCode.NOT_FOUND:
      return new SignalError(ErrorCode.ERROR_CODE_NOT_FOUND, err.message);
    case AppCode.FAILED_PRECONDITION:
    case AppCode.ABORTED:
      return new SignalError(ErrorCode.ERROR_CODE_FAILED_PRECONDITION, err.message);
    case AppCode.PERMISSION_DENIED:
      return new SignalError(ErrorCode.ERROR_CODE_PERMISSION_DENIED, err.message);
    case AppCode.UNAUTHENTICATED:
      return new SignalError(ErrorCode.ERROR_CODE_UNAUTHENTICATED, err.message);
    case AppCode.UNAVAILABLE:
    case AppCode.DEADLINE_EXCEEDED:
    case AppCode.CANCELLED:
      return new SignalError(
        ErrorCode.ERROR_CODE_UNAVAILABLE,
        'media server or room store unavailable, retry',
        'unavailable',
      );
    default:
      return new SignalError(ErrorCode.ERROR_CODE_INTERNAL, 'internal error', 'internal');
  }
}
