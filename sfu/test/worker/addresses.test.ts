// The addresses a worker tells signaling and Prometheus to dial: the advertised host, not the bound one.
import { describe, expect, it } from 'vitest';
import { createLogger } from '@origo/kit';
import { createSfuWorkerService } from '../../src/index.js';

const logger = createLogger({ service: 'sfu-test', level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

describe('SfuService addresses', () => {
  it('advertises the configured host in both its gRPC address and its metrics URL', async () => {
    const s = createSfuWorkerService({
      workerId: 'w-addr',
      nodeId: 'node-test',
      logger,
      host: '0.0.0.0',
      advertiseHost: '127.0.0.2',
    });
    try {
      const bound = await s.listen();
      expect(bound.grpcAddress).toMatch(/^127\.0\.0\.2:\d+$/);
      expect(bound.httpUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      // Bound on every address, so the advertised one answers.
      expect((await fetch(`${bound.httpUrl}/health/live`)).status).toBe(200);
    } finally {
      await s.stop(1000);
    }
  });
});
