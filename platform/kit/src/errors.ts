import { status as GrpcStatus } from '@grpc/grpc-js';
import { isDatabaseUnavailable } from './db/unavailable.js';

/**
 * The canonical error codes of every Origo service (the gRPC code set, as Google APIs and LiveKit use).
 * Services throw `AppError`; the edges map it once: to a gRPC status in grpc.ts and to an HTTP status plus
 * an RFC 9457 problem document in http.ts.
 */
export const ErrorCode = {
  CANCELLED: 'CANCELLED',
  UNKNOWN: 'UNKNOWN',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  ABORTED: 'ABORTED',
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  UNIMPLEMENTED: 'UNIMPLEMENTED',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
  DATA_LOSS: 'DATA_LOSS',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface CodeMapping {
  grpc: GrpcStatus;
  http: number;
  title: string;
}

/** One table for both edges; HTTP statuses follow google.rpc.Code's documented mapping. */
export const ERROR_CODE_MAP: Readonly<Record<ErrorCode, CodeMapping>> = {
  CANCELLED: { grpc: GrpcStatus.CANCELLED, http: 499, title: 'Request cancelled' },
  UNKNOWN: { grpc: GrpcStatus.UNKNOWN, http: 500, title: 'Unknown error' },
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, title: 'Invalid argument' },
  DEADLINE_EXCEEDED: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504, title: 'Deadline exceeded' },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, title: 'Not found' },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409, title: 'Already exists' },
  PERMISSION_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403, title: 'Permission denied' },
  RESOURCE_EXHAUSTED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429, title: 'Resource exhausted' },
  FAILED_PRECONDITION: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 412, title: 'Failed precondition' },
  ABORTED: { grpc: GrpcStatus.ABORTED, http: 409, title: 'Aborted' },
  OUT_OF_RANGE: { grpc: GrpcStatus.OUT_OF_RANGE, http: 400, title: 'Out of range' },
  UNIMPLEMENTED: { grpc: GrpcStatus.UNIMPLEMENTED, http: 501, title: 'Not implemented' },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500, title: 'Internal error' },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503, title: 'Service unavailable' },
  DATA_LOSS: { grpc: GrpcStatus.DATA_LOSS, http: 500, title: 'Data loss' },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401, title: 'Unauthenticated' },
};

const GRPC_TO_CODE = new Map<number, ErrorCode>(
  (Object.keys(ERROR_CODE_MAP) as ErrorCode[]).map((code) => [ERROR_CODE_MAP[code].grpc, code]),
);

/** A field-level problem, reported in the `errors` member of a problem document. */
export interface FieldViolation {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  /** Shown to the caller; keep it free of secrets and internals. */
  detail?: string;
  violations?: FieldViolation[];
  /** A stable machine-readable reason, e.g. `meeting_locked`, for clients to branch on. */
  reason?: string;
  /** A more specific HTTP status than the code's default, e.g. 413 for an oversize body. */
  httpStatus?: number;
  /** When the caller may try again, sent as Retry-After (503 problems get a default when unset). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error type services throw for anything a caller should see. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly violations: FieldViolation[];
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  private readonly httpStatusOverride: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.violations = options.violations ?? [];
    this.reason = options.reason;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.httpStatusOverride = options.httpStatus;
  }

  get httpStatus(): number {
    return this.httpStatusOverride ?? ERROR_CODE_MAP[this.code].http;
  }

  get grpcStatus(): GrpcStatus {
    return ERROR_CODE_MAP[this.code].grpc;
  }

  static invalid(message: string, violations: FieldViolation[] = []): AppError {
    return new AppError(ErrorCode.INVALID_ARGUMENT, message, { violations });
  }
  static notFound(what: string): AppError {
    return new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
  }
  static unauthenticated(message = 'Authentication required'): AppError {
    return new AppError(ErrorCode.UNAUTHENTICATED, message);
  }
  static forbidden(message = 'Permission denied'): AppError {
    return new AppError(ErrorCode.PERMISSION_DENIED, message);
  }
  static conflict(message: string): AppError {
    return new AppError(ErrorCode.ALREADY_EXISTS, message);
  }
  static precondition(message: string, reason?: string): AppError {
    return new AppError(ErrorCode.FAILED_PRECONDITION, message, reason === undefined ? {} : { reason });
  }
  static unavailable(message: string): AppError {
    return new AppError(ErrorCode.UNAVAILABLE, message);
  }
  static internal(message = 'Internal error', cause?: unknown): AppError {
    return new AppError(ErrorCode.INTERNAL, message, { cause });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** How long a caller is told to wait before retrying after the database was unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Anything thrown becomes an AppError. A database that cannot be reached (down, restarting, a connection
 * cut, a timeout) becomes UNAVAILABLE with `reason: database_unavailable`, so callers get 503 and may
 * retry; other unknown errors become INTERNAL with a generic message so internals never leak to callers
 * (the original stays as `cause` for the logs).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isGrpcStatusError(err)) return fromGrpcError(err);
  if (isDatabaseUnavailable(err)) {
    return new AppError(ErrorCode.UNAVAILABLE, 'The database is unavailable; try again shortly', {
      reason: 'database_unavailable',
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      cause: err,
    });
  }
  return AppError.internal('Internal error', err);
}

interface GrpcStatusLike {
  code: number;
  details?: string;
  metadata?: { get(key: string): unknown[] };
}

function isGrpcStatusError(err: unknown): err is Error & GrpcStatusLike {
  return (
    err instanceof Error && typeof (err as Partial<GrpcStatusLike>).code === 'number' && 'details' in err
  );
}

/** Turns a gRPC client error back into the AppError the remote service threw. */
export function fromGrpcError(err: Error & GrpcStatusLike): AppError {
  const code = GRPC_TO_CODE.get(err.code) ?? ErrorCode.UNKNOWN;
  const reasonValue = err.metadata?.get('x-error-reason')[0];
  const reason = typeof reasonValue === 'string' ? reasonValue : undefined;
  return new AppError(code, err.details ?? err.message, { cause: err, ...(reason ? { reason } : {}) });
}

/**
 * Titles for a status an error sets instead of its code's own, where the code's title would misname it
 * (a 405 is an UNIMPLEMENTED error for gRPC, but its title is about the method, not missing work).
 */
const STATUS_TITLES: Readonly<Partial<Record<number, string>>> = { 405: 'Method not allowed' };

/** RFC 9457 problem details document. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: ErrorCode;
  reason?: string;
  request_id?: string;
  errors?: FieldViolation[];
}

export function toProblem(
  err: AppError,
  context: { instance?: string; requestId?: string } = {},
): ProblemDocument {
  const mapping = ERROR_CODE_MAP[err.code];
  const doc: ProblemDocument = {
    type: `https://origo.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: STATUS_TITLES[err.httpStatus] ?? mapping.title,
    status: err.httpStatus,
    detail: err.message,
    code: err.code,
  };
  if (context.instance) doc.instance = context.instance;
  if (err.reason) doc.reason = err.reason;
  if (context.requestId) doc.request_id = context.requestId;
  if (err.violations.length > 0) doc.errors = err.violations;
  return doc;
}
