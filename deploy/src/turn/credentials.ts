// TURN REST credentials (draft-uberti-behave-turn-rest-00), the scheme coturn's use-auth-secret checks:
// username `<expiry unix seconds>:<identity>`, password base64(HMAC-SHA1(secret, username)). Signaling
// issues the same for browsers (signaling/src/turn.ts); the probe and tests sign their own.
import { createHmac } from 'node:crypto';

export function restCredentials(
  secret: string,
  identity: string,
  ttlSeconds: number,
  nowMs = Date.now(),
): { username: string; password: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${identity}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}
