// The invoice job as the role runs it: on a timer, it closes the previous month once the grace hours after
// its end have passed, and running again issues nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBilling, type Harness, type Who } from './helpers.js';
import { room } from './rooms.js';

const SUPER: Who = { id: 'usr_root', superadmin: true };
let clock = new Date('2026-11-20T12:00:00Z');
let h: Harness;

beforeAll(async () => {
  h = await startBilling({ now: () => clock, invoicing: { jobIntervalMs: 100 } });
  await h.service.usage.recordBatch([
    ...room('org_a', 'mtg_1', '2026-11-10T09:00:00Z', [['u1', 30]], 30),
    ...room('org_b', 'mtg_2', '2026-11-11T09:00:00Z', [['u2', 20]], 20),
  ]);
});
afterAll(async () => {
  await h?.close();
});

const invoices = async () =>
  (await h.call('GET', '/api/billing/invoices', SUPER)).body.items as Array<{
    number: string;
    org_id: string;
  }>;

describe('the invoice job', () => {
  it('closes November on its own after the grace hours, once', async () => {
    // Still November, then December within the grace hours: nothing is issued.
    clock = new Date('2026-12-01T05:00:00Z');
    await h.service.invoices.runJob();
    expect(await invoices()).toEqual([]);
    clock = new Date('2026-12-01T06:00:00Z');
    await expect.poll(async () => (await invoices()).length, { timeout: 60_000, interval: 100 }).toBe(2);
    // The timer keeps running every 100 ms; more runs, some alongside it, issue nothing twice.
    await Promise.all([h.service.invoices.runJob(), h.service.invoices.runJob()]);
    await h.service.invoices.runJob();
    expect((await invoices()).map((i) => [i.org_id, i.number])).toEqual([
      ['org_a', 'INV-2026-000001'],
      ['org_b', 'INV-2026-000002'],
    ]);
  });
});
