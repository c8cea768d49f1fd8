// Issue 11: every notification route, with NUL and control characters, huge and fractional numbers,
// crafted cursors and wrong types in path, query and body, one at a time: no 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzOperations, type FuzzOperation } from '@origo/kit/testing';
import { backends, startHarness, testUser, type Harness } from './helpers.js';

describe.each(backends)('hostile input on every notification route ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('answers no hostile request with a 5xx', { timeout: 600_000 }, async () => {
    const admin = testUser('admin', true);
    const bodies: Record<string, unknown> = {
      'PUT /api/notifications/preferences': { phone: '+4915112345678', kinds: {} },
      'POST /api/notifications/push-subscriptions': {
        endpoint: 'https://push.example.com/send/abc',
        expirationTime: null,
        keys: { p256dh: 'BPxA', auth: 'YXV0aA' },
      },
      'POST /api/notifications/push-subscriptions/remove': { endpoint: 'https://push.example.com/send/abc' },
      'POST /api/notifications/unsubscribe': { token: 'x' },
    };
    const operations: FuzzOperation[] = h.service.http
      .routes()
      .filter((r) => r.url !== '*')
      .map((r) => ({
        method: r.method,
        url: r.url,
        query: {},
        ...(bodies[`${r.method} ${r.url}`] === undefined ? {} : { body: bodies[`${r.method} ${r.url}`] }),
      }));
    expect(operations.length).toBeGreaterThan(5);

    const { sent, failures } = await fuzzOperations(
      operations,
      async (request) => {
        const response = await h.call(admin, request.method, request.url, request.payload);
        return { status: response.status, body: JSON.stringify(response.body) };
      },
      { extraQuery: ['cursor', 'limit', 'token', 'q'] },
    );
    expect(sent).toBeGreaterThan(300);
    expect(
      failures.map(
        (f) => `${f.status} ${f.request.method} ${f.request.url.slice(0, 120)} ${f.request.what}: ${f.body}`,
      ),
    ).toEqual([]);
  });
});
