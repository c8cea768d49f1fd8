// One-click unsubscribe tokens (RFC 8058): the link in a mail names who and which kind, signed with
// HMAC-SHA-256 so it cannot be forged or pointed at someone else. It only ever unsubscribes, and
// does not expire, as an old mail's link must keep working.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isKind, type Kind } from './kinds.js';

export interface UnsubscribeTarget {
  kind: Kind;
  /** The account, when the mail went to a user; preferences change. */
  userId?: string;
  /** The address, when it went to someone without an account; the address is suppressed. */
  email?: string;
}

const MAX_TOKEN = 600;

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`origo-unsubscribe.v1.${body}`).digest();
}

export function signUnsubscribe(secret: string, target: UnsubscribeTarget): string {
  const body = Buffer.from(
    JSON.stringify({ k: target.kind, u: target.userId, e: target.email?.toLowerCase() }),
  ).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The target of a token, or null when it is malformed or its signature does not match. */
export function verifyUnsubscribe(secret: string, token: string): UnsubscribeTarget | null {
  if (token.length === 0 || token.length > MAX_TOKEN) return null;
  const [body, signature, extra] = token.split('.');
  if (body === undefined || signature === undefined || extra !== undefined) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(signature)) return null;
  const expected = mac(secret, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const value = parsed as { k?: unknown; u?: unknown; e?: unknown };
  if (typeof value.k !== 'string' || !isKind(value.k)) return null;
  const target: UnsubscribeTarget = { kind: value.k };
  if (typeof value.u === 'string') target.userId = value.u;
  if (typeof value.e === 'string') target.email = value.e;
  if (target.userId === undefined && target.email === undefined) return null;
  return target;
}
