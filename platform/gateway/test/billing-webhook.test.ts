// The payment provider's webhook reaches billing through the gateway untouched: the signature covers the
// exact bytes of the body, so the gateway must neither parse nor re-encode it, and must not ask for a
// session (the provider has none; billing authenticates the call by its signature).
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { createGateway, type Gateway } from '../src/index.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let upstream: http.Server;
let upstreamUrl: string;
const received: Received[] = [];
let busKv: BusKv;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  busKv = await createBusKv({ namespace: `gwhook${randomBytes(4).toString('hex')}:` });
  gateway = createGateway({
    upstreams: {
      auth: upstreamUrl,
      control: upstreamUrl,
      signaling: upstreamUrl,
      notification: upstreamUrl,
      chat: upstreamUrl,
      recording: upstreamUrl,
      billing: upstreamUrl,
    },
    kv: busKv.kv,
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
});
afterAll(async () => {
  await gateway?.close();
  await busKv?.close();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

describe('the billing webhook through the gateway', () => {
  it('forwards the raw body and the Stripe-Signature header to billing, without a session', async () => {
    // Pretty-printed JSON with non-ASCII text: any re-encoding would change the bytes.
    const body = Buffer.from(
      `${JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { description: 'Zürich – café' } } }, null, 2)}\n`,
    );
    const signature = `t=1800000000,v1=${'ab'.repeat(32)}`;
    const response = await fetch(`${url}/api/billing/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body,
    });
    expect(response.status).toBe(200);
    const [seen] = received;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/api/billing/webhooks/stripe');
    expect(seen?.headers['stripe-signature']).toBe(signature);
    expect(seen?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(seen?.body.equals(body)).toBe(true);
  });
});
