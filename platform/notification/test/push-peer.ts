// A local push service endpoint (HTTPS, self-signed) standing in for FCM/Mozilla autopush: it checks
// what RFC 8030/8291/8292 require of a push message and decrypts the payload with the browser's keys.
import { createECDH, createDecipheriv, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, Agent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { importJWK, jwtVerify } from 'jose';
import selfsigned from 'selfsigned';

export interface PushMessage {
  headers: Record<string, string | string[] | undefined>;
  payload: Record<string, unknown>;
  vapid: { aud: unknown; sub: unknown; exp: number; k: string };
}

export interface PushPeer {
  agent: Agent;
  /** A browser's subscription on this endpoint (its own key pair and auth secret). */
  subscribe(): { endpoint: string; keys: { p256dh: string; auth: string } };
  /** The status code the next messages get (201 by default; 410 means "unsubscribed"). */
  answer(status: number): void;
  next(timeoutMs?: number): Promise<PushMessage>;
  received: PushMessage[];
  close(): Promise<void>;
}

/** RFC 8291 section 3.4 and RFC 8188 section 2: decrypt one aes128gcm record. */
function decrypt(body: Buffer, ua: ECDH, authSecret: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const idlen = body[20] ?? 0;
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 followed by zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('bad padding delimiter');
  return padded.subarray(0, end);
}

async function verifyVapid(header: string, audience: string): Promise<PushMessage['vapid']> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`bad Authorization: ${header}`);
  const raw = Buffer.from(match[2], 'base64url');
  const key = await importJWK(
    {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33, 65).toString('base64url'),
    },
    'ES256',
  );
  const { payload } = await jwtVerify(match[1], key, { audience, algorithms: ['ES256'] });
  return { aud: payload.aud, sub: payload.sub, exp: payload.exp ?? 0, k: match[2] };
}

export async function startPushPeer(): Promise<PushPeer> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    notAfterDate: new Date(Date.now() + 86_400_000),
    keyType: 'ec',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const subscribers = new Map<string, { ecdh: ECDH; auth: Buffer }>();
  const events = new EventEmitter();
  const received: PushMessage[] = [];
  let status = 201;
  let origin = '';
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const id = (req.url ?? '').replace(/^\/push\//, '');
          const sub = subscribers.get(id);
          if (req.method !== 'POST' || sub === undefined)
            throw new Error(`unexpected ${req.method} ${req.url}`);
          if (req.headers['content-encoding'] !== 'aes128gcm')
            throw new Error('Content-Encoding must be aes128gcm');
          if (req.headers['ttl'] === undefined) throw new Error('TTL header missing (RFC 8030 section 5.2)');
          const vapid = await verifyVapid(String(req.headers['authorization'] ?? ''), origin);
          const payload = JSON.parse(
            decrypt(Buffer.concat(chunks), sub.ecdh, sub.auth).toString('utf8'),
          ) as Record<string, unknown>;
          const message = { headers: req.headers, payload, vapid };
          if (status < 300) received.push(message);
          res.writeHead(status, status < 300 ? { location: `${origin}/message/${received.length}` } : {});
          res.end();
          events.emit('message', message);
        } catch (err) {
          res.writeHead(400);
          res.end(String(err));
          events.emit('error-message', err);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ ca: pems.cert, keepAlive: false });
  return {
    agent,
    received,
    subscribe() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const id = randomBytes(8).toString('hex');
      subscribers.set(id, { ecdh, auth });
      return {
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      };
    },
    answer(code) {
      status = code;
    },
    next(timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no push message arrived')), timeoutMs);
        const fail = (err: unknown) => {
          clearTimeout(timer);
          events.off('message', ok);
          reject(err instanceof Error ? err : new Error(String(err)));
        };
        const ok = (m: PushMessage) => {
          clearTimeout(timer);
          events.off('error-message', fail);
          resolve(m);
        };
        events.once('message', ok);
        events.once('error-message', fail);
      });
    },
    async close() {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
