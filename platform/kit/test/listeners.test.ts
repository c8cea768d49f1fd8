// The addresses a service with HTTP and gRPC listeners reports: one to dial, one that says what is bound.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGrpcServer,
  createHttpService,
  createLogger,
  createMetrics,
  httpAndGrpc,
} from '../src/index.js';

let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

function service(): ReturnType<typeof httpAndGrpc> {
  const logger = createLogger({ service: 'bound', level: 'silent' });
  const metrics = createMetrics('bound', { defaultMetrics: false });
  const listeners = httpAndGrpc(
    createHttpService({ service: 'bound', logger, metrics }),
    createGrpcServer({ service: 'bound', logger, metrics }),
  );
  close = () => listeners.close();
  return listeners;
}

describe('the addresses httpAndGrpc reports', () => {
  it('names every interface as the gRPC listen address when bound to 0.0.0.0, and loopback to dial', async () => {
    const bound = await service().listen({ host: '0.0.0.0' });
    const port = bound.grpc.split(':').at(-1);
    expect(bound.grpcListen).toBe(`0.0.0.0:${port}`);
    expect(bound.grpc).toBe(`127.0.0.1:${port}`);
  });

  it('reports the same interface for both when bound to one address', async () => {
    const bound = await service().listen({ host: '127.0.0.1' });
    expect(bound.grpcListen).toBe(bound.grpc);
    expect(bound.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
