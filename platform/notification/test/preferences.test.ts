import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { backends, recipient, startHarness, testUser, type Harness } from './helpers.js';

describe.each(backends)('preferences, one-click unsubscribe and the admin outbox ($name)', (backend) => {
  let h: Harness;
  const ada = testUser('Ada');
  const admin = testUser('Root', true);

  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  const outbox = async (user = admin) => h.call(user, 'GET', '/api/admin/outbox?limit=100');
  const invite = (r: ReturnType<typeof recipient>, title = 'Planning') =>
    h.enqueue({
      orgId: 'org_1',
      recipient: r,
      params: {
        $case: 'invitation',
        value: {
          meetingId: 'mtg_p',
          meetingTitle: title,
          inviterName: 'Bob',
          startsAtMs: 0,
          timeZone: 'UTC',
          rrule: '',
          joinUrl: 'https://origo.test/join/mtg_p',
        },
      },
    });

  it('shows the defaults, saves a choice, and refuses turning account mails off', async () => {
    const first = await h.call(ada, 'GET', '/api/notifications/preferences');
    expect(first.status).toBe(200);
    const kinds = first.body.kinds as Array<{ kind: string; channels: string[]; mandatory: boolean }>;
    expect(kinds.find((k) => k.kind === 'invitation')?.channels).toEqual(['email']);
    expect(kinds.find((k) => k.kind === 'password_reset')?.mandatory).toBe(true);
    // Only addresses without an account are invited into an organization: nothing to choose here.
    expect(kinds.map((k) => k.kind)).not.toContain('org_invitation');
    expect(first.body.availableChannels).toEqual(['email', 'push']);

    const saved = await h.call(ada, 'PUT', '/api/notifications/preferences', {
      kinds: { reminder: ['push'], invitation: ['email', 'push'] },
    });
    expect(saved.status).toBe(200);
    const after = saved.body.kinds as Array<{ kind: string; channels: string[] }>;
    expect(after.find((k) => k.kind === 'reminder')?.channels).toEqual(['push']);
    expect(saved.body.email).toBe(ada.email);

    const mandatory = await h.call(ada, 'PUT', '/api/notifications/preferences', {
      kinds: { password_reset: [] },
    });
    expect(mandatory.status).toBe(400);
    const sms = await h.call(ada, 'PUT', '/api/notifications/preferences', { kinds: { reminder: ['sms'] } });
    expect(sms.status).toBe(400);
    expect(sms.body.errors[0].message).toContain('not available');
    const unknown = await h.call(ada, 'PUT', '/api/notifications/preferences', {
      kinds: { spam: ['email'] },
    });
    expect(unknown.status).toBe(400);
    const still = await h.call(ada, 'GET', '/api/notifications/preferences');
    expect(still.body.kinds).toEqual(saved.body.kinds);
    expect((await h.call(null, 'GET', '/api/notifications/preferences')).status).toBe(401);
  });

  it('unsubscribes a user with the one-click POST of RFC 8058, while opening the link changes nothing', async () => {
    await invite(recipient({ userId: ada.userId }));
    const mail = await waitFor(
      async () =>
        ((await outbox()).body.items as Array<Record<string, string>>).find(
          (m) => m['to'] === ada.email && m['status'] === 'delivered',
        ),
      { what: "Ada's invitation delivered in the outbox" },
    );
    // No mail server here: the outbox says the mail was kept, not that it reached anyone.
    expect(mail['keptLocally']).toBe(true);
    const link = /Unsubscribe: (\S+)/.exec(mail['body'] ?? '')?.[1] ?? '';
    const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';
    expect(link.startsWith('https://origo.test/unsubscribe#token=')).toBe(true);

    const look = await h.call(null, 'GET', `/api/notifications/unsubscribe?token=${token}`);
    expect(look.body).toEqual({ kind: 'invitation', label: 'Meeting invitations' });
    const unchanged = await h.call(ada, 'GET', '/api/notifications/preferences');
    expect(unchanged.body.kinds.find((k: { kind: string }) => k.kind === 'invitation').channels).toContain(
      'email',
    );

    // What a mail client sends: no cookie, a form body, the URL from List-Unsubscribe.
    const post = await h.call(
      null,
      'POST',
      `/api/notifications/unsubscribe?token=${token}`,
      'List-Unsubscribe=One-Click',
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(post.status).toBe(200);
    expect(post.body.unsubscribed).toBe(true);
    const prefs = await h.call(ada, 'GET', '/api/notifications/preferences');
    expect(prefs.body.kinds.find((k: { kind: string }) => k.kind === 'invitation').channels).toEqual([
      'push',
    ]);

    const next = await invite(recipient({ userId: ada.userId }));
    expect(next.channels).toEqual([]);
  });

  it('suppresses a guest address after its unsubscribe, and refuses forged tokens', async () => {
    await invite(recipient({ email: 'Guest.Person@example.com' }), 'Guest meeting');
    const mail = await waitFor(
      async () =>
        ((await outbox()).body.items as Array<Record<string, string>>).find(
          (m) => m['to'] === 'Guest.Person@example.com',
        ),
      { what: 'the guest invitation' },
    );
    const link = new URL(/Unsubscribe: (\S+)/.exec(mail['body'] ?? '')?.[1] ?? '');
    const token = new URLSearchParams(link.hash.slice(1)).get('token') ?? '';
    const [body, signature] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ k: 'invitation', e: 'victim@example.com' })).toString(
      'base64url',
    );
    const forged = await h.call(
      null,
      'POST',
      `/api/notifications/unsubscribe?token=${forgedBody}.${signature}`,
      {},
    );
    expect(forged.status).toBe(412);
    expect(forged.body.reason).toBe('unsubscribe_token_invalid');
    expect((await h.call(null, 'POST', `/api/notifications/unsubscribe?token=${body}`, {})).status).toBe(412);

    expect((await h.call(null, 'POST', `/api/notifications/unsubscribe?token=${token}`, {})).status).toBe(
      200,
    );
    expect((await invite(recipient({ email: 'guest.person@example.com' }))).channels).toEqual([]);
    expect((await invite(recipient({ email: 'victim@example.com' }))).channels).toEqual(['email']);
  });

  it('lets only the superadmin read the outbox, newest first, page by page', async () => {
    expect((await outbox(ada)).status).toBe(403);
    expect((await h.call(null, 'GET', '/api/admin/outbox')).status).toBe(401);
    const page = await h.call(admin, 'GET', '/api/admin/outbox?limit=2');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const items = page.body.items as Array<{ createdAt: string; status: string }>;
    expect(items).toHaveLength(2);
    expect(items[0]!.createdAt >= items[1]!.createdAt).toBe(true);
    const next = await h.call(
      admin,
      'GET',
      `/api/admin/outbox?limit=2&cursor=${page.body.nextCursor as string}`,
    );
    expect(next.status).toBe(200);
    expect((next.body.items as unknown[]).length).toBeGreaterThan(0);
    expect((await h.call(admin, 'GET', '/api/admin/outbox?cursor=nonsense')).status).toBe(400);
  });
});
