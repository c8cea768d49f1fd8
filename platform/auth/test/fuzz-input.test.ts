// Issue 11: every auth route, with NUL and control characters, huge and fractional numbers, crafted
// cursors and wrong types in path, query and body, one at a time: no 5xx. Auth builds no OpenAPI
// document; the routes come from the service itself, the valid bodies to start from are written here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzOperations, type FuzzOperation } from '@origo/kit/testing';
import { backends, GOOD_PASSWORD, signUp, startAuth, uniqueEmail, type Harness } from './helpers.js';

/** Routes that would end the walker's own session or password; their input is covered elsewhere. */
const SKIPPED = new Set(['POST /api/auth/sign-out']);

describe.each(backends)('hostile input on every auth route ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(backend);
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('answers no hostile request with a 5xx', { timeout: 600_000 }, async () => {
    const root = await signUp(h.service); // the first account: superadmin
    const other = await signUp(h.service);
    await root.browser.post(`/api/orgs/${root.orgId}/members`, { email: other.email, role: 'member' });

    const bodies: Record<string, unknown> = {
      'POST /api/auth/sign-up': { email: uniqueEmail(), password: GOOD_PASSWORD, displayName: 'Fuzz' },
      'POST /api/auth/sign-in': { email: other.email, password: GOOD_PASSWORD },
      // A wrong current password: the walk must not change the walker's own password.
      'POST /api/auth/password': { currentPassword: 'not the password', newPassword: GOOD_PASSWORD },
      'PATCH /api/auth/me': { displayName: 'Fuzz walker' },
      'POST /api/auth/verify-email': { token: 'a'.repeat(40) },
      'POST /api/auth/password-reset/request': { email: other.email },
      'POST /api/auth/password-reset/confirm': { token: 'a'.repeat(40), password: GOOD_PASSWORD },
      'POST /api/orgs': { name: 'Fuzz org' },
      'PATCH /api/orgs/:orgId': { name: 'Renamed' },
      'POST /api/orgs/:orgId/members': { email: other.email, role: 'member' },
      'PATCH /api/orgs/:orgId/members/:userId': { role: 'member' },
    };
    const operations: FuzzOperation[] = h.service.http
      .routes()
      .filter((r) => !SKIPPED.has(`${r.method} ${r.url}`) && r.url !== '*')
      .map((r) => ({
        method: r.method,
        url: r.url,
        query: {},
        ...(bodies[`${r.method} ${r.url}`] === undefined ? {} : { body: bodies[`${r.method} ${r.url}`] }),
      }));
    expect(operations.length).toBeGreaterThan(25);

    const { sent, failures } = await fuzzOperations(
      operations,
      async (request) => {
        const response = await root.browser.request(
          request.method,
          request.url,
          request.payload,
          request.payload === undefined ? {} : { 'content-type': 'application/json' },
        );
        return { status: response.status, body: JSON.stringify(response.body) };
      },
      {
        params: { orgId: root.orgId, userId: other.userId },
        extraQuery: ['q', 'cursor', 'limit', 'returnTo', 'token'],
      },
    );
    expect(sent).toBeGreaterThan(1000);
    expect(
      failures.map(
        (f) => `${f.status} ${f.request.method} ${f.request.url.slice(0, 120)} ${f.request.what}: ${f.body}`,
      ),
    ).toEqual([]);
    // The walker's session survived: every request above was answered as the superadmin.
    expect((await root.browser.get('/api/auth/me')).status).toBe(200);
  });
});
