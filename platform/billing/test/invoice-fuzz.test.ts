// Every invoice route with NUL and control characters, huge and fractional numbers and wrong types in
// path, query and body, one at a time, as the superadmin: no 5xx (issue 11's bar, for issue 15's routes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzOperations, type FuzzOperation } from '@origo/kit/testing';
import { startBilling, type Harness, type Who } from './helpers.js';
import { room } from './rooms.js';

const SUPER: Who = { id: 'usr_root', superadmin: true };
let clock = new Date('2026-11-20T12:00:00Z');
let h: Harness;
let invoiceId: string;

beforeAll(async () => {
  h = await startBilling({ now: () => clock });
  await h.service.usage.recordBatch(room('org_a', 'mtg_1', '2026-11-10T09:00:00Z', [['u1', 30]], 30));
  clock = new Date('2026-12-02T12:00:00Z');
  const closed = await h.call('POST', '/api/billing/invoices/close', SUPER, { period: '2026-11' });
  invoiceId = closed.body.created[0].id as string;
});
afterAll(async () => {
  await h?.close();
});

describe('hostile input on every invoice route', () => {
  it('answers no hostile request with a 5xx', { timeout: 600_000 }, async () => {
    const bodies: Record<string, unknown> = {
      'POST /api/billing/invoices/close': { period: '2026-11' },
      'PUT /api/billing/orgs/:orgId/tax-rate': { tax_rate_percent: '19' },
      'POST /api/billing/webhooks/stripe': { id: 'evt_1', type: 'invoice.paid', data: { object: {} } },
    };
    const operations: FuzzOperation[] = h.service.http
      .routes()
      .filter((r) => /\/(invoices|tax-rate|webhooks)/.test(r.url))
      .map((r) => ({
        method: r.method,
        url: r.url,
        query: {},
        ...(bodies[`${r.method} ${r.url}`] === undefined ? {} : { body: bodies[`${r.method} ${r.url}`] }),
      }));
    expect(operations.length).toBeGreaterThanOrEqual(12);
    const { sent, failures } = await fuzzOperations(
      operations,
      async (request) => {
        const response = await fetch(`${h.http}${request.url}`, {
          method: request.method,
          headers: {
            'x-test-who': JSON.stringify(SUPER),
            ...(request.payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.payload === undefined ? {} : { body: request.payload }),
        });
        return { status: response.status, body: await response.text() };
      },
      {
        params: { orgId: 'org_a', invoiceId },
        extraQuery: ['period', 'status', 'limit', 'org_id'],
      },
    );
    expect(sent).toBeGreaterThan(300);
    expect(
      failures.map(
        (f) => `${f.status} ${f.request.method} ${f.request.url.slice(0, 120)} ${f.request.what}: ${f.body}`,
      ),
    ).toEqual([]);
  });
});
