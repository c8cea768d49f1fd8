import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../src/errors.js';
import { AppError, ERROR_CODE_MAP, fromGrpcError, toAppError, toProblem } from '../src/errors.js';

const expected: Record<ErrorCode, [number, number]> = {
  CANCELLED: [status.CANCELLED, 499],
  UNKNOWN: [status.UNKNOWN, 500],
  INVALID_ARGUMENT: [status.INVALID_ARGUMENT, 400],
  DEADLINE_EXCEEDED: [status.DEADLINE_EXCEEDED, 504],
  NOT_FOUND: [status.NOT_FOUND, 404],
  ALREADY_EXISTS: [status.ALREADY_EXISTS, 409],
  PERMISSION_DENIED: [status.PERMISSION_DENIED, 403],
  RESOURCE_EXHAUSTED: [status.RESOURCE_EXHAUSTED, 429],
  FAILED_PRECONDITION: [status.FAILED_PRECONDITION, 412],
  ABORTED: [status.ABORTED, 409],
  OUT_OF_RANGE: [status.OUT_OF_RANGE, 400],
  UNIMPLEMENTED: [status.UNIMPLEMENTED, 501],
  INTERNAL: [status.INTERNAL, 500],
  UNAVAILABLE: [status.UNAVAILABLE, 503],
  DATA_LOSS: [status.DATA_LOSS, 500],
  UNAUTHENTICATED: [status.UNAUTHENTICATED, 401],
};

describe('canonical errors', () => {
  it('cover every gRPC status code exactly once', () => {
    const grpcCodes = Object.values(ERROR_CODE_MAP).map((m) => m.grpc);
    expect(new Set(grpcCodes).size).toBe(16);
    expect(Object.keys(ERROR_CODE_MAP).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s maps to gRPC %i and HTTP %i', (code, [grpc, http]) => {
    const error = new AppError(code as ErrorCode, 'x');
    expect(error.grpcStatus).toBe(grpc);
    expect(error.httpStatus).toBe(http);
    expect(toProblem(error).status).toBe(http);
  });

  it('builds an RFC 9457 problem document', () => {
    const error = AppError.invalid('Invalid meeting', [{ field: 'title', message: 'is required' }]);
    expect(toProblem(error, { instance: '/api/meetings', requestId: 'r-1' })).toEqual({
      type: 'https://origo.dev/problems/invalid-argument',
      title: 'Invalid argument',
      status: 400,
      detail: 'Invalid meeting',
      instance: '/api/meetings',
      code: 'INVALID_ARGUMENT',
      request_id: 'r-1',
      errors: [{ field: 'title', message: 'is required' }],
    });
  });

  it('hides unknown errors behind INTERNAL', () => {
    const error = toAppError(new Error('password=hunter2 in connection string'));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('Internal error');
  });

  it('turns a gRPC client error back into the same code', () => {
    const grpcError = Object.assign(new Error('5 NOT_FOUND: room not found'), {
      code: status.NOT_FOUND,
      details: 'room not found',
    });
    const error = fromGrpcError(grpcError);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('room not found');
  });
});
