// Recordings in any S3-compatible store (AWS S3, MinIO, Ceph RGW, ...), chosen with S3_BUCKET. Files go up
// in parts (a recording is hundreds of MB) with a SHA-256 checksum per part that the store verifies; reads
// stream through the recording service, so a browser never needs to reach the store itself.
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { presignGet } from './links.js';
import {
  checkKey,
  contentTypeOf,
  type ByteRange,
  type RecordingStorage,
  type StoredObject,
} from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `recordings/`. */
  prefix?: string;
  /** Another store than AWS: its URL (path-style addressing is then the default). */
  endpoint?: string | undefined;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle?: boolean;
  /** Multipart part size in bytes; S3's minimum is 5 MiB. */
  partSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export class S3Storage implements RecordingStorage {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly options: S3StorageOptions;

  constructor(options: S3StorageOptions) {
    this.options = options;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, 5 * 1024 * 1024);
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      // Checksums are sent where an operation supports them (the uploads'), verified by the store.
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    return `${this.prefix}${checkKey(key)}`;
  }

  async put(key: string, sourcePath: string): Promise<StoredObject> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: createReadStream(sourcePath),
        ContentType: contentTypeOf(key),
        ChecksumAlgorithm: 'SHA256',
      },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
    const stored = await this.stat(key);
    if (stored === null) throw new Error(`S3 upload of ${key} finished but the object is missing`);
    return stored;
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return { key, bytes: head.ContentLength ?? 0 };
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  open(key: string, range?: ByteRange): Readable {
    const out = new PassThrough();
    const objectKey = this.objectKey(key);
    this.client
      .send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
        }),
      )
      .then((object) => {
        const body = object.Body;
        if (!(body instanceof Readable)) throw new Error(`S3 object ${objectKey} has no readable body`);
        body.on('error', (err) => out.destroy(err));
        body.pipe(out);
      })
      .catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
    return out;
  }

  async signedUrl(key: string, expiresInS: number): Promise<string> {
    const credentials = await this.client.config.credentials();
    const region = await this.client.config.region();
    const path = this.objectKey(key).split('/').map(encodeURIComponent).join('/');
    const pathStyle = this.options.forcePathStyle ?? this.options.endpoint !== undefined;
    const base =
      this.options.endpoint !== undefined
        ? new URL(this.options.endpoint)
        : new URL(`https://s3.${region}.amazonaws.com`);
    const url = pathStyle
      ? new URL(`${base.pathname.replace(/\/$/, '')}/${this.bucket}/${path}`, base)
      : new URL(`/${path}`, `${base.protocol}//${this.bucket}.${base.host}`);
    return presignGet({ url, region, credentials, expiresInS });
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw new Error(`S3 bucket ${this.bucket} cannot be reached: ${describe(err)}`, { cause: err });
    }
  }

  close(): void {
    this.client.destroy();
  }
}

function notFound(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)
  );
}

function describe(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`;
  return err instanceof Error ? err.message : String(err);
}
