import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { backends, recipient, startHarness, testUser, type Harness } from './helpers.js';
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.js';

describe.each(backends)('e-mail over SMTP ($name)', (backend) => {
  let h: Harness;
  let smtp: SmtpPeer;
  const admin = testUser('Root', true);

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    h = await startHarness(backend, {
      settings: { smtpUrl: smtp.url, smtpFrom: 'Origo <no-reply@origo.test>' },
      deps: { smtpTransport: { ignoreTLS: true } },
    });
  });
  afterAll(async () => {
    await h.close();
    await smtp.close();
    await backend.cleanup();
  });

  const outbox = async () =>
    (await h.call(admin, 'GET', '/api/admin/outbox?limit=50')).body.items as Array<Record<string, unknown>>;

  it('retries after the SMTP peer refuses twice, then delivers exactly once', async () => {
    smtp.refuseNext(2, 451);
    const before = smtp.received.length;
    const mail = smtp.nextMail();
    const key = `test:invite:${Date.now()}`;
    const request = {
      idempotencyKey: key,
      orgId: 'org_1',
      recipient: recipient({ email: 'guest@example.com', displayName: 'Grace' }),
      params: {
        $case: 'invitation' as const,
        value: {
          meetingId: 'mtg_1',
          meetingTitle: 'Design <b>review</b> & "planning"',
          inviterName: 'Ada',
          startsAtMs: Date.UTC(2030, 5, 3, 7, 0),
          timeZone: 'Europe/Berlin',
          rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=6',
          joinUrl: 'https://origo.test/join/mtg_1#invite=abc',
        },
      },
    };
    const first = await h.enqueue(request);
    expect(first.duplicate).toBe(false);
    expect(first.channels).toEqual(['email']);

    const parsed = await mail;
    expect(smtp.attempts).toBeGreaterThanOrEqual(3);
    expect(parsed.subject).toBe('Invitation: Design <b>review</b> & "planning"');
    expect(parsed.to && 'text' in parsed.to ? parsed.to.text : '').toBe('guest@example.com');
    expect(parsed.text).toContain('Ada invited you to "Design <b>review</b> & "planning"" on Origo.');
    expect(parsed.text).toContain('Monday, 3 June 2030 at 09:00 CEST');
    expect(parsed.text).toContain('every week on Monday for 6 times');
    expect(parsed.text).toContain('https://origo.test/join/mtg_1#invite=abc');
    expect(parsed.html).toContain('Design &lt;b&gt;review&lt;/b&gt; &amp; &quot;planning&quot;');
    expect(parsed.html).not.toContain('<b>review</b>');
    // RFC 8058 one-click unsubscribe headers.
    // Folded header lines (RFC 5322 section 2.2.3) are unfolded before comparing.
    const raw = (name: string) =>
      (parsed.headerLines.find((l) => l.key === name)?.line ?? '').replace(/\r\n[ \t]+/g, ' ');
    expect(raw('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(raw('list-unsubscribe')).toMatch(
      /^List-Unsubscribe: <https:\/\/origo\.test\/api\/notifications\/unsubscribe\?token=[A-Za-z0-9_.-]+>$/,
    );

    const item = await waitFor(
      async () =>
        (await outbox()).find((m) => m['to'] === 'guest@example.com' && m['status'] === 'delivered'),
      { what: 'the delivery marked delivered' },
    );
    expect(item['attempts']).toBe(3);
    expect(item['lastError']).toBeNull();

    // Nothing more goes out: not on further worker passes, nor when the producer retries the call.
    await h.service.worker.runOnce();
    const again = await h.enqueue(request);
    expect(again).toEqual({ notificationId: first.notificationId, duplicate: true, channels: ['email'] });
    await h.service.worker.runOnce();
    expect(smtp.received.length).toBe(before + 1);
    expect(smtp.received.filter((m) => m.messageId === parsed.messageId)).toHaveLength(1);
  });

  it('gives up at once when the peer refuses permanently, and keeps the reason', async () => {
    smtp.refuseNext(1, 550);
    const attemptsBefore = smtp.attempts;
    await h.enqueue({
      recipient: recipient({ email: 'nobody@example.com' }),
      params: {
        $case: 'passwordReset',
        value: { actionUrl: 'https://origo.test/reset-password#token=x', expiresInMinutes: 60 },
      },
    });
    const item = await waitFor(
      async () => (await outbox()).find((m) => m['to'] === 'nobody@example.com' && m['status'] === 'failed'),
      { what: 'the delivery marked failed' },
    );
    expect(item['attempts']).toBe(1);
    expect(String(item['lastError'])).toContain('SMTP 550');
    expect(smtp.attempts).toBe(attemptsBefore + 1);
  });

  it('sends account mails without an unsubscribe link', async () => {
    const mail = smtp.nextMail();
    await h.enqueue({
      recipient: recipient({ userId: 'usr_verify1', email: 'new@example.com', displayName: 'Neo' }),
      params: {
        $case: 'emailVerification',
        value: { actionUrl: 'https://origo.test/verify-email#token=abc', expiresInHours: 48 },
      },
    });
    const parsed = await mail;
    expect(parsed.subject).toBe('Confirm your e-mail address for Origo');
    expect(parsed.text).toContain('Hello Neo,');
    expect(parsed.text).toContain('https://origo.test/verify-email#token=abc');
    expect(parsed.headerLines.some((l) => l.key.startsWith('list-unsubscribe'))).toBe(false);
  });
});
