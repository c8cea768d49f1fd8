// The rollout smoke test against the platform started as `npm start` runs it: a user signs up, signs in,
// creates a meeting and joins its room over the WebSocket; a wrong password fails the smoke at sign-in.
// Aimed at a role's new version (a canary or preview Service, here a counting proxy in front of the
// platform), the steps that role answers go to it and the others through the public entry.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmokeError, runSmoke } from '../src/smoke/smoke.js';
import { startPlatform, type StartedPlatform } from './lib/platform.js';
import { freePort } from '../src/ports.js';

describe('release smoke test', () => {
  let platform: StartedPlatform | undefined;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    platform = await startPlatform({
      PORT: String(port),
      ORIGO_PUBLIC_URL: url,
      AUTH_COOKIE_SECURE: 'false',
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('signs in, creates a meeting and joins its room', async () => {
    const result = await runSmoke({
      url,
      email: 'smoke@example.com',
      password: 'correct horse battery staple',
      signUp: true,
    });
    expect(result.meetingId).not.toBe('');
    expect(result.sessionId).not.toBe('');
    expect(result.steps.map((s) => s.step)).toEqual([
      'sign-up',
      'sign-in',
      'create meeting',
      'join token',
      'join room',
    ]);
  });

  /** An HTTP proxy to one role's own address that records what it forwarded: a canary Service. */
  async function countingProxy(
    role: string,
  ): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
    const own = platform?.metricsUrls.find((m) => m.role === role)?.url.replace(/\/metrics$/, '');
    if (!own) throw new Error(`no address for ${role}`);
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const upstream = httpRequest(
        `${own}${req.url ?? '/'}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      seen,
      close: () => new Promise<void>((done) => server.close(() => done())),
    };
  }

  it('sends the steps of the role being released to its target, and the rest to the public entry', async () => {
    const canary = await countingProxy('control');
    try {
      const result = await runSmoke({
        url,
        target: { role: 'control', url: canary.url },
        email: 'smoke@example.com',
        password: 'correct horse battery staple',
      });
      expect(result.steps.map((s) => s.step)).toEqual([
        'target ready',
        'sign-in',
        'create meeting',
        'join token',
        'join room',
      ]);
      expect(canary.seen.map((r) => r.replace(/\/api\/meetings\/[^/]+\//, '/api/meetings/<id>/'))).toEqual([
        'GET /health/ready',
        'POST /api/meetings',
        'POST /api/meetings/<id>/join',
      ]);
    } finally {
      await canary.close();
    }
  });

  it('fails at "target ready" when the new version does not answer, before touching anything', async () => {
    const failure = await runSmoke({
      url,
      target: { role: 'chat', url: 'http://127.0.0.1:9' },
      email: 'smoke@example.com',
      password: 'correct horse battery staple',
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmokeError);
    expect((failure as SmokeError).step).toBe('target ready');
    expect((failure as SmokeError).message).toContain('chat at http://127.0.0.1:9');
  });

  it('fails at sign-in with a wrong password, naming the step', async () => {
    const failure = await runSmoke({
      url,
      email: 'smoke@example.com',
      password: 'not the password at all',
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmokeError);
    expect((failure as SmokeError).step).toBe('sign-in');
  });
});
