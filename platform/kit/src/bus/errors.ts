/**
 * Redis could not be reached. The message names REDIS_URL and never contains the password.
 */
export class BusConnectionError extends Error {
  override readonly name = 'BusConnectionError';
  readonly code = 'BUS_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A call on a bus or store after `close()`. */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
}
