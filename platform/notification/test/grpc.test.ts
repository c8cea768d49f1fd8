import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationSchema } from '../src/index.js';
import { backends, recipient, startHarness, testUser, type Harness } from './helpers.js';

describe.each(backends)('the NotificationService gRPC API ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  const stored = async () =>
    (await h.database.db.select({ n: count() }).from(notificationSchema.notifications))[0]?.n ?? 0;

  it('refuses bad requests with every problem named, and stores nothing', async () => {
    const before = await stored();
    await expect(
      h.enqueue({
        idempotencyKey: 'bad key with spaces',
        recipient: recipient({ email: 'not-an-address', phone: '12345' }),
        params: {
          $case: 'invitation',
          value: {
            meetingId: 'm',
            meetingTitle: '',
            inviterName: '',
            startsAtMs: 0,
            timeZone: 'Nowhere/City',
            rrule: '',
            joinUrl: 'javascript:alert(1)',
          },
        },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      h.enqueue({ recipient: recipient({ email: 'a@example.com' }), params: undefined }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      h.enqueue({
        recipient: undefined,
        params: {
          $case: 'passwordReset',
          value: { actionUrl: 'https://origo.test/r', expiresInMinutes: 60 },
        },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await stored()).toBe(before);
  });

  it('stores one notification per idempotency key however often it is sent, also concurrently', async () => {
    const user = testUser('Concurrent');
    const request = {
      idempotencyKey: `auth:nrl_${Date.now()}`,
      recipient: recipient({ userId: user.userId, email: user.email }),
      params: {
        $case: 'emailVerification' as const,
        value: { actionUrl: 'https://origo.test/verify-email#token=t', expiresInHours: 48 },
      },
    };
    const before = await stored();
    const results = await Promise.all([h.enqueue(request), h.enqueue(request), h.enqueue(request)]);
    expect(new Set(results.map((r) => r.notificationId)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await stored()).toBe(before + 1);
  });
});
