import { afterAll, describe, expect, it } from 'vitest';
import { createAuthService, openAuthDatabase, type AuthDatabase, type AuthService } from '@origo/auth';
import { freePort, waitFor } from '@origo/kit/testing';
import { notificationRelay } from '@origo/notification-relay';
import { backends, startHarness, type Harness } from './helpers.js';
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.js';

/**
 * Auth writes its account mails into its relay table in the sign-up transaction; the relay hands them
 * to the notification service by gRPC. Auth keeps working while notification is down, and the mail
 * goes out once notification is back.
 */
describe('auth mails through the relay to the notification service', () => {
  const backend = backends[0]!;
  let smtp: SmtpPeer | undefined;
  let auth: AuthService | undefined;
  let authDb: AuthDatabase | undefined;
  let h: Harness | undefined;

  afterAll(async () => {
    await auth?.close();
    await authDb?.close();
    await h?.close();
    await smtp?.close();
    await backend.cleanup();
  });

  it('signs up while notification is down, then delivers the verification mail once it is up', async () => {
    smtp = await startSmtpPeer();
    const port = await freePort();
    authDb = await openAuthDatabase({ dataDir: 'memory://' });
    auth = await createAuthService({
      database: authDb,
      keyEncryptionKey: 'test-key-encryption-key-0123456789abcdef',
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      settings: { publicUrl: 'https://origo.test', cookieSecure: true },
      notificationTarget: async () => `127.0.0.1:${port}`,
      notificationRelay: { retryBaseMs: 50, retryMaxMs: 200, intervalMs: 100 },
    });

    const response = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/sign-up',
      payload: { email: 'ada@example.com', password: 'correct horse battery staple', displayName: 'Ada' },
    });
    expect(response.statusCode).toBe(201);
    // The failure is recorded on the row, which stays pending for the next attempt.
    const row = await waitFor(
      async () => {
        const [r] = await authDb!.db.select().from(notificationRelay);
        return r?.lastError?.startsWith('UNAVAILABLE') === true ? r : undefined;
      },
      { what: 'a failed relay attempt' },
    );
    expect(row.relayedAt).toBeNull();
    expect(row.failedAt).toBeNull();
    expect(await auth.relay.pendingCount()).toBe(1);

    const mail = smtp.nextMail();
    h = await startHarness(backend, {
      settings: { smtpUrl: smtp.url },
      deps: { smtpTransport: { ignoreTLS: true } },
      grpcPort: port,
    });
    const parsed = await mail;
    expect(parsed.subject).toBe('Confirm your e-mail address for Origo');
    expect(parsed.text).toContain('Hello Ada,');
    expect(parsed.text).toMatch(/https:\/\/origo\.test\/verify-email#token=[a-z2-7]+/);
    await waitFor(async () => (await auth?.relay.pendingCount()) === 0, {
      what: 'the relay row marked relayed',
    });
    expect(smtp.received).toHaveLength(1);
  });
});
