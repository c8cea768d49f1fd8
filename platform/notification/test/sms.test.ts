import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { FormPostSmsProvider } from '../src/index.js';
import { backends, recipient, startHarness, testUser, type Harness } from './helpers.js';

interface SmsRequest {
  authorization: string | undefined;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  form: Record<string, string>;
}

/** A provider API shaped like Twilio's Messages resource: form POST, basic auth, JSON answer. */
async function startSmsPeer(): Promise<{
  url: string;
  requests: SmsRequest[];
  failNext(n: number): void;
  close(): Promise<void>;
}> {
  const requests: SmsRequest[] = [];
  let failures = 0;
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => resolve(body));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      requests.push({
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        form: Object.fromEntries(new URLSearchParams(body)),
      });
      if (failures > 0) {
        failures -= 1;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"busy"}');
        return;
      }
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sid: `SM${requests.length}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/2010-04-01/Accounts/AC123/Messages.json`,
    requests,
    failNext: (n) => (failures = n),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(backends)('SMS through the provider interface ($name)', (backend) => {
  let h: Harness;
  let peer: Awaited<ReturnType<typeof startSmsPeer>>;
  const user = testUser('Margaret');
  const admin = testUser('Root', true);

  beforeAll(async () => {
    peer = await startSmsPeer();
    const sms = { apiUrl: peer.url, accountSid: 'AC123', authToken: 'secret-token', from: '+15550001111' };
    h = await startHarness(backend, {
      settings: { sms },
      deps: { smsProvider: new FormPostSmsProvider(sms) },
    });
  });
  afterAll(async () => {
    await h.close();
    await peer.close();
    await backend.cleanup();
  });

  it('sends a reminder by SMS to the number from the preferences, retrying a busy provider', async () => {
    const saved = await h.call(user, 'PUT', '/api/notifications/preferences', {
      phone: '+4915112345678',
      kinds: { reminder: ['sms'] },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.availableChannels).toEqual(['email', 'push', 'sms']);
    peer.failNext(1);
    const result = await h.enqueue({
      recipient: recipient({ userId: user.userId }),
      params: {
        $case: 'reminder',
        value: {
          meetingId: 'mtg_sms',
          meetingTitle: 'Stand-up',
          startsAtMs: Date.UTC(2030, 0, 7, 8, 45),
          timeZone: 'Europe/London',
          minutesBefore: 15,
          joinUrl: 'https://origo.test/join/mtg_sms',
        },
      },
    });
    expect(result.channels).toEqual(['sms']);
    const outbox = async () =>
      ((await h.call(admin, 'GET', '/api/admin/outbox')).body.items as Array<Record<string, unknown>>).find(
        (m) => m['channel'] === 'sms',
      );
    const item = await waitFor(
      async () => ((await outbox())?.['status'] === 'delivered' ? outbox() : undefined),
      {
        what: 'the SMS delivered',
      },
    );
    expect(item?.['attempts']).toBe(2);
    expect(peer.requests).toHaveLength(2);
    const last = peer.requests[1];
    expect(last?.authorization).toBe(`Basic ${Buffer.from('AC123:secret-token').toString('base64')}`);
    expect(last?.contentType).toBe('application/x-www-form-urlencoded');
    expect(last?.form).toEqual({
      To: '+4915112345678',
      From: '+15550001111',
      Body: '"Stand-up" starts in 15 min: https://origo.test/join/mtg_sms',
    });
    // Both attempts carry the same key, so a provider that honours it sends the text once.
    expect(last?.idempotencyKey).toBe(peer.requests[0]?.idempotencyKey);
  });

  it('refuses a phone number that is not E.164 and changes nothing', async () => {
    const bad = await h.call(user, 'PUT', '/api/notifications/preferences', { phone: '0151 1234' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('phone');
    const after = await h.call(user, 'GET', '/api/notifications/preferences');
    expect(after.body.phone).toBe('+4915112345678');
  });
});
