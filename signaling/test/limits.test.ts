// Bad input and abuse on the real signaling tier (uWS native binding, real SFU worker over gRPC):
// each bad message gets an error reply and the socket stays usable; floods and silence close it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519Jwk } from '@origo/kit';
import { parsePrometheusText } from '@origo/kit/testing';
import { CLOSE, signJoinToken } from '../src/index.js';
import { has, SignalClient, type Json } from './helpers/client.js';
import { startStack, type Stack } from './helpers/harness.js';

const MAX_BYTES = 4096;
let stack: Stack;
const clients: SignalClient[] = [];

async function open(s: Stack = stack): Promise<SignalClient> {
  const c = await SignalClient.open(s.nodes[0]!.wsUrl);
  clients.push(c);
  return c;
}

function errorOf(m: Json): { code: string; message: string } {
  const e = m['error'] as { code: string; message: string } | undefined;
  if (!e) throw new Error(`expected an error reply, got ${JSON.stringify(m)}`);
  return e;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

beforeAll(async () => {
  stack = await startStack({ config: { SIGNAL_MAX_MESSAGE_BYTES: MAX_BYTES } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stack.close();
});

describe('bad signaling input', () => {
  const cases: Array<{ name: string; send: (c: SignalClient) => void; code: string }> = [
    {
      name: 'invalid JSON',
      send: (c) => c.sendRaw('{"requestId":"x", "ping": '),
      code: 'ERROR_CODE_INVALID_REQUEST',
    },
    { name: 'a JSON array', send: (c) => c.sendRaw('[1,2,3]'), code: 'ERROR_CODE_INVALID_REQUEST' },
    {
      name: 'wrong field types',
      send: (c) => c.send({ requestId: 'x', join: { token: 42 } }),
      code: 'ERROR_CODE_INVALID_REQUEST',
    },
    {
      name: 'an unknown message type',
      send: (c) => c.send({ requestId: 'x', teleport: { to: 'mars' } }),
      code: 'ERROR_CODE_INVALID_REQUEST',
    },
    {
      name: 'two message kinds at once',
      send: (c) => c.send({ ping: {}, leave: {} }),
      code: 'ERROR_CODE_INVALID_REQUEST',
    },
    {
      name: 'an oversize message',
      send: (c) => c.send({ requestId: 'x', join: { token: 'a'.repeat(MAX_BYTES + 10) } }),
      code: 'ERROR_CODE_MESSAGE_TOO_LARGE',
    },
    {
      name: 'a binary frame',
      send: (c) => c.sendRaw(Buffer.from([1, 2, 3])),
      code: 'ERROR_CODE_INVALID_REQUEST',
    },
    {
      name: 'a message before the join token',
      send: (c) => c.send({ requestId: 'x', publishOffer: { sdp: 'v=0', id: 1 } }),
      code: 'ERROR_CODE_FAILED_PRECONDITION',
    },
  ];

  for (const tc of cases) {
    it(`answers ${tc.name} with ${tc.code} and stays usable`, async () => {
      const c = await open();
      const reply = c.waitNew(has('error'), 10_000, 'error reply');
      tc.send(c);
      expect(errorOf(await reply).code).toBe(tc.code);
      await c.ping();
      expect(c.isOpen).toBe(true);
    });
  }

  const tokenCases: Array<{ name: string; token: () => Promise<string> }> = [
    {
      name: 'an expired token',
      token: () =>
        signJoinToken({
          privateJwk: stack.jwk,
          identity: 'eve',
          room: 'room-1',
          issuedAt: Math.floor(Date.now() / 1000) - 3600,
          ttlSeconds: 60,
        }),
    },
    {
      name: 'a token signed with another key',
      token: () => signJoinToken({ privateJwk: generateEd25519Jwk(), identity: 'eve', room: 'room-1' }),
    },
    {
      name: 'a token for another audience',
      token: () =>
        signJoinToken({ privateJwk: stack.jwk, identity: 'eve', room: 'room-1', audience: 'origo-api' }),
    },
    {
      name: 'an unsigned token (alg none)',
      token: async () => {
        const now = Math.floor(Date.now() / 1000);
        const payload = {
          sub: 'eve',
          room: 'room-1',
          aud: 'origo-signaling',
          nbf: now,
          exp: now + 300,
          grants: { publish: true, subscribe: true, host: true },
        };
        return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
      },
    },
    {
      name: 'a token whose signature was altered',
      token: async () => {
        const t = await stack.token('eve');
        const [h, p] = t.split('.');
        const forgedPayload = {
          ...JSON.parse(Buffer.from(p!, 'base64url').toString()),
          grants: { publish: true, subscribe: true, host: true },
        };
        return `${h}.${b64url(forgedPayload)}.${t.split('.')[2]}`;
      },
    },
    { name: 'garbage instead of a token', token: async () => 'not-a-jwt' },
  ];

  for (const tc of tokenCases) {
    it(`refuses ${tc.name} with UNAUTHENTICATED and stays usable`, async () => {
      const c = await open();
      const reply = await c.request({ join: { token: await tc.token() } });
      expect(errorOf(reply).code).toBe('ERROR_CODE_UNAUTHENTICATED');
      await c.ping();
      // The same socket can still join with a good token.
      const joined = await c.request({ join: { token: await stack.token(`late-${Math.random()}`) } });
      expect(joined).toHaveProperty('joinResponse');
      c.send({ leave: {} });
      await c.closed;
    });
  }

  it('rejects a garbage SDP offer through the SFU and keeps the session usable', async () => {
    const c = await open();
    const joined = await c.request({ join: { token: await stack.token('sdp-tester') } });
    expect(joined).toHaveProperty('joinResponse');
    const bad = await c.request({ publishOffer: { sdp: 'hello, I am not an SDP', id: 1 } });
    expect(errorOf(bad).code).toBe('ERROR_CODE_INVALID_REQUEST');
    const bad2 = await c.request({
      publishOffer: {
        sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n',
        id: 2,
      },
    });
    expect(errorOf(bad2).code).toBe('ERROR_CODE_INVALID_REQUEST');
    await c.ping();
    const second = await c.request({ join: { token: await stack.token('sdp-tester') } });
    expect(errorOf(second).code).toBe('ERROR_CODE_FAILED_PRECONDITION');
    await c.ping();
  });

  it('keeps serving other clients while one misbehaves, and counts rejections by reason', async () => {
    const bad = await open();
    for (let i = 0; i < 10; i++) bad.sendRaw('{{{');
    const good = await open();
    const joined = await good.request({ join: { token: await stack.token('good-citizen') } });
    expect(joined).toHaveProperty('joinResponse');
    await good.ping();
    await bad.ping();
    const res = await fetch(`${stack.nodes[0]!.url}/metrics`);
    expect(res.status).toBe(200);
    const { samples } = parsePrometheusText(await res.text());
    const rejected = (reason: string): number =>
      samples.find(
        (s) => s.name === 'origo_signaling_rejected_messages_total' && s.labels['reason'] === reason,
      )?.value ?? 0;
    expect(rejected('invalid')).toBeGreaterThanOrEqual(10);
    expect(rejected('token_bad_signature')).toBeGreaterThanOrEqual(1);
    expect(rejected('not_joined')).toBeGreaterThanOrEqual(1);
    expect(samples.find((s) => s.name === 'origo_signaling_connections')?.value).toBeGreaterThanOrEqual(2);
  });
});

describe('limits that close the connection', () => {
  let tight: Stack;
  beforeAll(async () => {
    tight = await startStack({
      config: {
        SIGNAL_RATE_PER_SECOND: 5,
        SIGNAL_RATE_BURST: 10,
        SIGNAL_FLOOD_CLOSE_AFTER: 20,
        SIGNAL_IDLE_TIMEOUT_MS: 800,
        SIGNAL_JOIN_TIMEOUT_MS: 60_000,
      },
    });
  });
  afterAll(async () => {
    await tight.close();
  });

  it('answers a burst over the rate with RATE_LIMITED, then closes a flooding connection with 4429', async () => {
    const flood = await open(tight);
    const limited = flood.waitNew(
      (m) => (m['error'] as Json | undefined)?.['code'] === 'ERROR_CODE_RATE_LIMITED',
      10_000,
      'rate limited',
    );
    for (let i = 0; i < 200; i++) flood.send({ ping: { timestampMs: '1' } });
    await limited;
    const closed = await flood.closed;
    expect(closed.code).toBe(CLOSE.RATE_LIMITED);
    // The server keeps serving others.
    const other = await open(tight);
    await other.ping();
    other.close();
  });

  it('drops a connection that sends a 1 MB frame without reading it, and keeps serving the others', async () => {
    // uWS refuses a frame above maxPayloadLength (4 x SIGNAL_MAX_MESSAGE_BYTES) from its header and
    // closes the TCP connection with no close frame, so a direct client sees 1006; the gateway in front
    // refuses the same frame with 1009 (platform/gateway test and the launcher's stop test).
    const other = await open();
    const big = await open();
    big.sendRaw('x'.repeat(1024 * 1024));
    expect((await big.closed).code).toBe(1006);
    await other.ping();
    const after = await open();
    await after.ping();
    other.close();
    after.close();
  });

  it('closes a silent socket after the idle timeout with 4408, while a pinging one stays', async () => {
    const silent = await open(tight);
    const chatty = await open(tight);
    const started = Date.now();
    const timer = setInterval(() => chatty.send({ ping: { timestampMs: '1' } }), 200);
    try {
      const closed = await silent.closed;
      expect(closed.code).toBe(CLOSE.IDLE_TIMEOUT);
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
      expect(chatty.isOpen).toBe(true);
    } finally {
      clearInterval(timer);
    }
    await chatty.ping();
    chatty.close();
  });

  it('serves health and readiness on the same port', async () => {
    const live = await fetch(`${tight.nodes[0]!.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${tight.nodes[0]!.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { sfu: 'ok', store: 'ok' } });
    const missing = await fetch(`${tight.nodes[0]!.url}/nope`);
    expect(missing.status).toBe(404);
  });
});
