// TURN REST credentials (draft-uberti-behave-turn-rest-00, as coturn's use-auth-secret implements it):
// username `<expiry unix seconds>:<identity>`, password base64(HMAC-SHA1(shared secret, username)).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IceServer } from '@origo/proto/signal';

export interface TurnCredentials {
  username: string;
  credential: string;
  /** Unix seconds after which the TURN server refuses them. */
  expiresAt: number;
}

export function turnCredentials(
  secret: string,
  identity: string,
  ttlSeconds: number,
  nowMs = Date.now(),
): TurnCredentials {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${identity}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}

/** The TURN server's side of the check: right HMAC and not expired. */
export function verifyTurnCredentials(
  secret: string,
  username: string,
  credential: string,
  nowMs = Date.now(),
): boolean {
  const expiry = Number(username.split(':', 1)[0]);
  if (!Number.isInteger(expiry) || expiry * 1000 <= nowMs) return false;
  const expected = Buffer.from(createHmac('sha1', secret).update(username).digest('base64'));
  const given = Buffer.from(credential);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  turnTtlSeconds: number;
}

/** ICE servers for one participant: STUN as configured, TURN only with both URLs and the secret. */
export function iceServersFor(config: IceConfig, identity: string, nowMs = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls, username: '', credential: '' });
  if (config.turnUrls.length > 0 && config.turnSecret) {
    const { username, credential } = turnCredentials(
      config.turnSecret,
      identity,
      config.turnTtlSeconds,
      nowMs,
    );
    servers.push({ urls: config.turnUrls, username, credential });
  }
  return servers;
}
