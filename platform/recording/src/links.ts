// Time-limited links to a recording's file, for a player or a download that carries no credentials.
// In S3, a presigned GET (AWS Signature Version 4 in the query string, so the browser fetches from the
// store itself); in the local folder, the recording service's own file route with an expiry and an
// HMAC-SHA256 of the recording id and expiry under a key only the recorders hold.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text).digest();

export interface PresignOptions {
  /** The object's URL without query: path-style `<endpoint>/<bucket>/<key>` or virtual-hosted. */
  url: URL;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
  expiresInS: number;
  now?: Date;
}

/** A presigned GET URL (SigV4 query authentication, `UNSIGNED-PAYLOAD`, only `host` signed). */
export function presignGet(o: PresignOptions): string {
  const now = o.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${o.region}/s3/aws4_request`;
  const query: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${o.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(Math.round(o.expiresInS))],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (o.credentials.sessionToken !== undefined)
    query.push(['X-Amz-Security-Token', o.credentials.sessionToken]);
  query.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalQuery = query.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  // The path is already encoded segment by segment (URL does it); S3 signs it as sent.
  const canonicalRequest = [
    'GET',
    o.url.pathname,
    canonicalQuery,
    `host:${o.url.host}\n`,
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = ['s3', 'aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${o.credentials.secretAccessKey}`, day), o.region),
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `${o.url.origin}${o.url.pathname}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/** Signs and checks links to the local folder's files. */
export class LinkSigner {
  constructor(private readonly secret: string) {}

  private mac(recordingId: string, expires: number): Buffer {
    return hmac(this.secret, `recording-file:${recordingId}:${expires}`);
  }

  /** The query of a link valid until `expires` (seconds since the epoch). */
  query(recordingId: string, expires: number): string {
    return `expires=${expires}&signature=${this.mac(recordingId, expires).toString('base64url')}`;
  }

  /** Whether the link is genuine and not expired. */
  verify(recordingId: string, expires: number, signature: string, nowS = Date.now() / 1000): boolean {
    if (!Number.isSafeInteger(expires) || expires < nowS) return false;
    const given = Buffer.from(signature, 'base64url');
    const wanted = this.mac(recordingId, expires);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }
}
