// Issue 11: every route of the OpenAPI document (and every other route control serves), with NUL and
// control characters, huge and fractional numbers, crafted cursors and wrong types in path, query and
// body, one at a time: no 5xx. Runs on PGlite, and on PostgreSQL when DATABASE_URL is set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzOperations, operationsFromOpenApi, type FuzzOperation } from '@origo/kit/testing';
import { backends, meetingBody, startHarness, type Harness } from './helpers.js';

afterAll(async () => {
  for (const backend of backends) await backend.cleanup();
});

/** Terminal state changes (cancel, end, delete) last, so the meeting stays open for everything else. */
const terminal = (op: FuzzOperation) => (op.method === 'DELETE' || /\/(cancel|end)$/.test(op.url) ? 1 : 0);

describe.each(backends)('hostile input on every control route ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `fz${randomUUID().slice(0, 6)}`);
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers no hostile request with a 5xx', { timeout: 600_000 }, async () => {
    const created = await h.call(h.users.admin, 'POST', '/api/meetings', meetingBody({ org_id: h.orgA }));
    expect(created.status).toBe(201);
    const meetingId = created.body.id as string;

    const documented = operationsFromOpenApi(h.service.openapi());
    const seen = new Set(documented.map((op) => `${op.method} ${op.url}`));
    const undocumented: FuzzOperation[] = h.service.http
      .routes()
      .filter((r) => !seen.has(`${r.method} ${r.url}`) && r.url !== '*')
      .map((r) => ({ method: r.method, url: r.url, query: {} }));
    const operations = [...documented, ...undocumented]
      .map((op) =>
        op.method === 'POST' && op.url === '/api/meetings'
          ? { ...op, body: meetingBody({ org_id: h.orgA }) }
          : op,
      )
      .sort((a, b) => terminal(a) - terminal(b));
    expect(documented.length).toBeGreaterThan(20);

    const token = await h.token({ ...h.users.admin, superadmin: true });
    const { sent, failures } = await fuzzOperations(
      operations,
      async (request) => {
        const response = await h.service.http.app.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: {
            authorization: `Bearer ${token}`,
            ...(request.payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.payload === undefined ? {} : { payload: request.payload }),
        });
        return { status: response.statusCode, body: response.body };
      },
      {
        params: { id: meetingId },
        baseQuery: { org_id: h.orgA },
        extraQuery: ['q', 'cursor', 'limit', 'org_id', 'entity_id', 'state', 'token'],
      },
    );
    expect(sent).toBeGreaterThan(1000);
    expect(
      failures.map(
        (f) => `${f.status} ${f.request.method} ${f.request.url.slice(0, 120)} ${f.request.what}: ${f.body}`,
      ),
    ).toEqual([]);
  });
});
