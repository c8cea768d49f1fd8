import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';

/** 160 random bits, base32: the session and one-time token format of Lucia's guide. */
export function generateToken(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

/** What is stored in place of a token: SHA-256, hex. */
export function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

const TOKEN_SHAPE = /^[a-z2-7]{32}$/;

export function isTokenShaped(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

/** A short stable hash for keys in the rate-limit store, so no e-mail address ends up in Redis. */
export function keyHash(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * AES-256-GCM sealing for private signing keys at rest. The key-encryption key is any string with at
 * least 256 bits of entropy; it is stretched to 32 bytes with SHA-256. Output: `v1.<iv>.<tag>.<ciphertext>`,
 * base64url parts. The kid is bound as additional data so a sealed key cannot be swapped to another row.
 */
export function seal(kek: string, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(kek), iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

export function unseal(kek: string, sealed: string, aad: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
    throw new TypeError('sealed value has an unknown format');
  }
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(kek), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

function deriveKey(kek: string): Buffer {
  if (kek.length < 32) throw new TypeError('the key-encryption key must be at least 32 characters');
  return createHash('sha256').update(`origo-auth-kek:${kek}`).digest();
}
