// Typed errors of the media plane. Each carries a stable `code` the gRPC edge maps to a status
// (LiveKit style: declared once, mapped at the edge).

export type MediaErrorCode =
  'INVALID_STATE' | 'INVALID_ARGUMENT' | 'UNSUPPORTED' | 'SDP_REJECTED' | 'NOT_FOUND';

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The entity is closed or in a state where the call makes no sense. */
export class InvalidStateError extends MediaError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

/** A caller-supplied argument is malformed (gRPC INVALID_ARGUMENT). */
export class InvalidArgumentError extends MediaError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class UnsupportedError extends MediaError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
  }
}

/** An SDP offer or answer could not be applied; the peer's previous state is kept. */
export class SdpRejectedError extends MediaError {
  constructor(message: string, cause?: unknown) {
    super('SDP_REJECTED', message, { cause });
  }
}

/**
 * The connection an offer was made on is gone (its ICE failed, or the stack closed it) before the answer
 * came: the answer belongs to a dead ICE generation. The peer makes a new offer with fresh credentials.
 */
export class IceGenerationLostError extends MediaError {
  constructor(message: string, cause?: unknown) {
    super('INVALID_STATE', message, { cause });
  }
}

export class NotFoundError extends MediaError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}
