// Where finished recordings live. One small interface so the recorder does not care whether the bytes go
// to a folder under ORIGO_DATA (the embedded default) or to an S3-compatible store (not written yet).
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  bytes: number;
}

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface RecordingStorage {
  /** `local` or `s3`. */
  readonly kind: string;
  /** Stores the file at `sourcePath` under `key` (the source is left in place). */
  put(key: string, sourcePath: string): Promise<StoredObject>;
  /** The object's size, or null when it does not exist. */
  stat(key: string): Promise<StoredObject | null>;
  /** Reads the object, or the bytes `range.start`..`range.end` (inclusive); throws when it does not exist. */
  open(key: string, range?: ByteRange): Readable;
  /** Removes the object; nothing when it does not exist. */
  delete(key: string): Promise<void>;
  /** Throws when the storage cannot be written (readiness). */
  check(): Promise<void>;
  /**
   * A URL a browser can GET the object from without credentials for `expiresInS` seconds, when the store
   * can issue one (S3 presigned); undefined: the recording service serves the file itself.
   */
  signedUrl?(key: string, expiresInS: number): Promise<string>;
}

/** The type a stored file is served with (S3 keeps it with the object and serves it so through presigned links). */
export function contentTypeOf(key: string): string {
  if (key.endsWith('.tar')) return 'application/x-tar';
  if (key.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  if (key.endsWith('.m4s')) return 'video/iso.segment';
  return 'video/mp4';
}

/** Keys are relative paths of safe segments: `<meeting>/<recording>.mp4`. */
export function checkKey(key: string): string {
  if (
    key.length === 0 ||
    key.length > 512 ||
    !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) ||
    key.split('/').some((s) => s === '.' || s === '..')
  )
    throw new TypeError(`invalid storage key ${JSON.stringify(key)}`);
  return key;
}

/** A folder on the local disk (ORIGO_DATA/recordings by default). */
export class LocalStorage implements RecordingStorage {
  readonly kind = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, checkKey(key));
    if (!path.startsWith(this.root + sep)) throw new TypeError(`storage key ${key} leaves the folder`);
    return path;
  }

  async put(key: string, sourcePath: string): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Copy to a temporary name, then rename: a reader never sees half a file.
    const partial = `${path}.partial`;
    await copyFile(sourcePath, partial);
    await rename(partial, path);
    return { key, bytes: (await stat(path)).size };
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      return { key, bytes: (await stat(this.pathOf(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  open(key: string, range?: ByteRange): Readable {
    return createReadStream(this.pathOf(key), range ?? {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const probe = join(this.root, '.ready');
    await copyFile('/dev/null', probe);
    await rm(probe, { force: true });
  }
}
