// Control asks auth who a session cookie belongs to. When auth cannot answer (its database is down), the
// caller's 503 says why and when to try again, as auth's own answer did.
import { describe, expect, it } from 'vitest';
import { createHttpAuthClient } from '../src/index.js';

const answering =
  (response: () => Response): typeof fetch =>
  async () =>
    response();

describe('the HTTP auth client', () => {
  it("passes on auth's 503 problem detail and Retry-After", async () => {
    const client = createHttpAuthClient({
      baseUrl: 'http://auth.test',
      fetch: answering(
        () =>
          new Response(
            JSON.stringify({
              status: 503,
              code: 'UNAVAILABLE',
              detail: 'The database is unavailable; try again shortly',
            }),
            { status: 503, headers: { 'content-type': 'application/problem+json', 'retry-after': '7' } },
          ),
      ),
    });
    await expect(client.resolve({ cookie: 'origo_session=x' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'The auth service is unavailable: The database is unavailable; try again shortly',
      retryAfterSeconds: 7,
    });
  });

  it('says only the status for other failures, and nothing from their body', async () => {
    const client = createHttpAuthClient({
      baseUrl: 'http://auth.test',
      fetch: answering(
        () =>
          new Response(JSON.stringify({ detail: 'stack trace with secrets' }), {
            status: 500,
            headers: { 'content-type': 'application/problem+json' },
          }),
      ),
    });
    const error = await client.resolve({ cookie: 'origo_session=x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'The auth service answered HTTP 500' });
    expect((error as { retryAfterSeconds?: number }).retryAfterSeconds).toBeUndefined();
  });
});
