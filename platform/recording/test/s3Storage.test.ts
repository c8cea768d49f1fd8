// The S3 storage against a real S3 protocol peer (s3rver): a multi-part upload with checksums, sizes,
// byte ranges, deletes, and the readiness check naming an unreachable bucket.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingConfigSchema, s3OptionsFrom } from '../src/config.js';
import { S3Storage } from '../src/s3Storage.js';
import { startS3, type S3Peer } from './s3.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('S3 storage', () => {
  let s3: S3Peer;
  let dir: string;
  let storage: S3Storage;

  beforeAll(async () => {
    s3 = await startS3();
    dir = await mkdtemp(join(tmpdir(), 'origo-s3-test-'));
    storage = new S3Storage({ ...s3.options, prefix: 'rec/' });
  });
  afterAll(async () => {
    storage?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uploads a file larger than one part and reads it back whole and by range', async () => {
    const content = randomBytes(11 * 1024 * 1024 + 123);
    const source = join(dir, 'big.mp4');
    await writeFile(source, content);

    expect(await storage.put('mtg_1/rec_1.mp4', source)).toEqual({
      key: 'mtg_1/rec_1.mp4',
      bytes: content.length,
    });
    expect(await storage.stat('mtg_1/rec_1.mp4')).toEqual({ key: 'mtg_1/rec_1.mp4', bytes: content.length });
    expect((await readAll(storage.open('mtg_1/rec_1.mp4'))).equals(content)).toBe(true);
    const part = await readAll(storage.open('mtg_1/rec_1.mp4', { start: 5_000_000, end: 5_000_999 }));
    expect(part.equals(content.subarray(5_000_000, 5_001_000))).toBe(true);

    await storage.delete('mtg_1/rec_1.mp4');
    expect(await storage.stat('mtg_1/rec_1.mp4')).toBeNull();
    await storage.delete('mtg_1/rec_1.mp4');
  });

  it('reports a missing object as missing, and a read of it as an error', async () => {
    expect(await storage.stat('mtg_1/none.mp4')).toBeNull();
    await expect(readAll(storage.open('mtg_1/none.mp4'))).rejects.toThrow();
  });

  it('refuses keys that would leave the recordings layout', async () => {
    await expect(storage.stat('../etc/passwd')).rejects.toThrow(/invalid storage key/);
  });

  it('is ready when the bucket answers, and says which bucket when it does not', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
    const missing = new S3Storage({ ...s3.options, bucket: 'no-such-bucket' });
    await expect(missing.check()).rejects.toThrow(/S3 bucket no-such-bucket cannot be reached/);
    missing.close();
  });
});

describe('S3 configuration', () => {
  const base = recordingConfigSchema.parse({});

  it('keeps the local folder unless a bucket is named', () => {
    expect(s3OptionsFrom(base)).toBeUndefined();
  });

  it('names the bucket, endpoint and credentials', () => {
    const config = recordingConfigSchema.parse({
      S3_BUCKET: 'meetings',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_PREFIX: 'origo/',
    });
    expect(s3OptionsFrom(config)).toMatchObject({
      bucket: 'meetings',
      endpoint: 'http://minio:9000',
      prefix: 'origo/',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    });
  });

  it('refuses one credential without the other, naming the missing one', () => {
    const config = recordingConfigSchema.parse({ S3_BUCKET: 'meetings', S3_ACCESS_KEY_ID: 'id' });
    expect(() => s3OptionsFrom(config)).toThrow(/S3_SECRET_ACCESS_KEY is required/);
  });
});
