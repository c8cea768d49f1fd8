import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { backends, recipient, startHarness, testUser, type Harness } from './helpers.js';
import { startPushPeer, type PushPeer } from './push-peer.js';

describe.each(backends)('web push ($name)', (backend) => {
  let h: Harness;
  let peer: PushPeer;
  const host = testUser('Hedy');
  const admin = testUser('Root', true);

  beforeAll(async () => {
    peer = await startPushPeer();
    h = await startHarness(backend, {
      settings: { allowPrivatePushEndpoints: true, vapidSubject: 'mailto:ops@origo.test' },
      deps: { pushAgent: peer.agent },
    });
  });
  afterAll(async () => {
    await h.close();
    await peer.close();
    await backend.cleanup();
  });

  const lobby = (name: string) => ({
    recipient: recipient({ userId: host.userId }),
    params: {
      $case: 'lobbyWaiting' as const,
      value: {
        meetingId: 'mtg_push',
        meetingTitle: 'Board <meeting>',
        participantName: name,
        meetingUrl: 'https://origo.test/meetings/mtg_push',
      },
    },
  });

  it('delivers an encrypted message with VAPID to the browser subscription of the host', async () => {
    const subscription = peer.subscribe();
    const created = await h.call(host, 'POST', '/api/notifications/push-subscriptions', subscription);
    expect(created.status).toBe(201);

    const arrived = peer.next();
    const result = await h.enqueue(lobby('Grace'));
    expect(result.channels).toContain('push');
    const message = await arrived;
    expect(message.payload).toMatchObject({
      title: 'Grace is waiting in the lobby of Board <meeting>',
      body: 'Grace is waiting in the lobby',
      url: 'https://origo.test/meetings/mtg_push',
    });
    expect(message.vapid.sub).toBe('mailto:ops@origo.test');
    expect(message.vapid.k).toBe(
      (await h.call(null, 'GET', '/api/notifications/vapid-public-key')).body.publicKey,
    );
    const lifetime = message.vapid.exp - Math.floor(Date.now() / 1000);
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(24 * 3600);
    expect(message.headers['urgency']).toBe('high');
    expect(String(message.headers['topic'])).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
  });

  it('forgets a subscription the push service says is gone', async () => {
    peer.answer(410);
    const before = (await h.call(host, 'GET', '/api/notifications/preferences')).body
      .pushSubscriptions as number;
    expect(before).toBeGreaterThan(0);
    await h.enqueue(lobby('Linus'));
    await waitFor(
      async () =>
        (await h.call(host, 'GET', '/api/notifications/preferences')).body.pushSubscriptions === before - 1,
      { what: 'the gone subscription to be removed' },
    );
    const outbox = await h.call(admin, 'GET', '/api/admin/outbox?limit=20');
    const failed = (outbox.body.items as Array<Record<string, unknown>>).find(
      (m) => m['channel'] === 'push' && m['status'] === 'failed',
    );
    expect(String(failed?.['lastError'])).toContain('410');
    peer.answer(201);
  });

  it('refuses subscriptions that are not https or carry malformed keys', async () => {
    const good = peer.subscribe();
    const plain = await h.call(host, 'POST', '/api/notifications/push-subscriptions', {
      ...good,
      endpoint: good.endpoint.replace('https:', 'http:'),
    });
    expect(plain.status).toBe(400);
    expect(plain.body.errors[0].field).toBe('endpoint');
    const badKeys = await h.call(host, 'POST', '/api/notifications/push-subscriptions', {
      ...good,
      keys: { p256dh: 'AAAA', auth: 'BBBB' },
    });
    expect(badKeys.status).toBe(400);
    const anonymous = await h.call(null, 'POST', '/api/notifications/push-subscriptions', good);
    expect(anonymous.status).toBe(401);
  });
});
