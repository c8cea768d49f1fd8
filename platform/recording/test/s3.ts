// A real S3 protocol peer for the tests: s3rver (the S3 HTTP API in Node, files in a temp folder), on a
// free loopback port, with one bucket. The SDK talks to it exactly as to MinIO or AWS (path-style).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3StorageOptions } from '../src/s3Storage.js';

export interface S3Peer {
  options: S3StorageOptions;
  endpoint: string;
  close(): Promise<void>;
}

export async function startS3(bucket = 'recordings'): Promise<S3Peer> {
  const directory = await mkdtemp(join(tmpdir(), 'origo-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    options: {
      bucket,
      endpoint,
      region: 'us-east-1',
      // s3rver's fixed development credentials.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSize: 5 * 1024 * 1024,
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
