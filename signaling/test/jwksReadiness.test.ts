// A signaling node without control's join-token keys refuses every join, so it must not report ready
// (a load balancer would keep sending clients to it): readiness fetches the JWKS and says why not.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@origo/kit/testing';
import { jwksReadiness } from '../src/token.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(body: string, status = 200): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/.well-known/join-token-jwks.json`;
}

describe('join-token key readiness', () => {
  it('is ok while control serves at least one key', async () => {
    const url = await serve(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA' }] }));
    expect(await jwksReadiness(url)()).toBe('ok');
  });

  it('says why not when control cannot be reached, answers an error, or serves no key', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}/.well-known/join-token-jwks.json`;
    expect(await jwksReadiness(nobody)()).toMatch(/^join token keys cannot be fetched: /);
    const failing = await serve('{}', 503);
    expect(await jwksReadiness(failing)()).toBe(`join token keys at ${failing} answer HTTP 503`);
    await new Promise((resolve) => server!.close(resolve));
    const empty = await serve(JSON.stringify({ keys: [] }));
    expect(await jwksReadiness(empty)()).toBe(`no join token keys at ${empty}`);
  });
});
