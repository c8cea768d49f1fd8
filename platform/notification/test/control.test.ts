import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createControlService,
  createPrincipalResolver,
  openControlDatabase,
  type ControlDatabase,
  type ControlService,
} from '@origo/control';
import { createLogger } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { waitFor } from '@origo/kit/testing';
import { notificationRelay } from '@origo/notification-relay';
import { backends, startHarness, testUser, tokenIssuer, type Harness, type TestUser } from './helpers.js';
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.js';

interface Control {
  service: ControlService;
  database: ControlDatabase;
  busKv: BusKv;
  url: string;
  call(user: TestUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- ad hoc bodies
  close(): Promise<void>;
}

async function startControl(target: () => Promise<string>): Promise<Control> {
  const issuer = await tokenIssuer();
  const database = await openControlDatabase({ dataDir: 'memory://' });
  const busKv = await createBusKv({});
  const service = await createControlService({
    database,
    busKv,
    joinTokenKey: (await import('@origo/kit')).generateEd25519Jwk(),
    resolvePrincipal: createPrincipalResolver({ verifier: issuer.verifier }),
    settings: { publicUrl: 'https://origo.test' },
    logger: createLogger({ service: 'control', level: 'silent' }),
    notificationTarget: target,
    notificationRelay: { retryBaseMs: 50, retryMaxMs: 200, intervalMs: 100 },
  });
  const { http } = await service.listen({ httpPort: 0, grpcPort: 0 });
  return {
    service,
    database,
    busKv,
    url: http,
    async call(user, method, path, body) {
      const response = await fetch(`${http}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await issuer.sign(user)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    async close() {
      await service.close();
      await busKv.close();
      await database.close();
    },
  };
}

const host: TestUser = { ...testUser('Hedy'), orgs: { org_ctl: 'host' } };

describe('control sends invitations and reminder schedules through the notification gRPC API', () => {
  const backend = backends[0]!;
  let smtp: SmtpPeer;
  let h: Harness;
  let control: Control;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    h = await startHarness(backend, {
      settings: { smtpUrl: smtp.url, reminderMinutes: 15 },
      deps: { smtpTransport: { ignoreTLS: true } },
    });
    control = await startControl(async () => h.grpc);
  });
  afterAll(async () => {
    await control?.close();
    await h?.close();
    await smtp?.close();
    await backend.cleanup();
  });

  it('mails the invitation with its personal link, marks it sent, and reminds host and guest before the start', async () => {
    const created = await control.call(host, 'POST', '/api/meetings', {
      org_id: 'org_ctl',
      title: 'Launch <review>',
      // Ten minutes from now: inside the 15-minute reminder window at once.
      starts_at: new Date(Date.now() + 10 * 60_000).toISOString(),
      duration_minutes: 30,
      time_zone: 'America/New_York',
    });
    expect(created.status).toBe(201);
    const invitation = smtp.nextMail();
    const invited = await control.call(host, 'POST', `/api/meetings/${created.body.id}/invitations`, {
      emails: ['guest@example.com'],
    });
    expect(invited.status).toBe(201);
    const mail = await invitation;
    expect(mail.subject).toBe('Invitation: Launch <review>');
    expect(mail.text).toContain('Hedy invited you to "Launch <review>" on Origo.');
    expect(mail.text).toContain(invited.body[0].invite_url);
    expect(mail.html).toContain('Launch &lt;review&gt;');

    await waitFor(
      async () =>
        (await control.call(host, 'GET', `/api/meetings/${created.body.id}/invitations`)).body[0].sent_at !==
        null,
      { what: 'the invitation marked sent' },
    );

    // The schedule (host and the invitee) reaches notification after the invitation; the next pass of the
    // scheduler sends both reminders.
    await waitFor(async () => (await control.service.notifier.relay.pendingCount()) === 0, {
      what: 'control relay drained',
    });
    const before = smtp.received.length;
    expect(await h.service.reminders.tick()).toBe(2);
    await waitFor(() => smtp.received.length >= before + 2, { what: 'two reminder mails' });
    const reminders = smtp.received.slice(before);
    expect(reminders.map((m) => (m.to && 'text' in m.to ? m.to.text : '')).sort()).toEqual(
      [host.email, 'guest@example.com'].sort(),
    );
    expect(reminders[0]?.subject).toBe('Starts in 15 minutes: Launch <review>');
    // en-GB names New York time by its offset.
    expect(reminders[0]?.text).toMatch(/When: .* at \d\d:\d\d (GMT-[45]|E[SD]T)/);
  });
});

describe('control while the notification service is down', () => {
  let control: Control;
  afterAll(async () => {
    await control?.close();
  });

  it('still creates meetings and invitations, records the failure, and keeps the mail for later', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    control = await startControl(async () => `127.0.0.1:${port}`);

    const created = await control.call(host, 'POST', '/api/meetings', {
      org_id: 'org_ctl',
      title: 'Offline planning',
      starts_at: new Date(Date.now() + 86_400_000).toISOString(),
      time_zone: 'UTC',
    });
    expect(created.status).toBe(201);
    const invited = await control.call(host, 'POST', `/api/meetings/${created.body.id}/invitations`, {
      emails: ['later@example.com'],
    });
    expect(invited.status).toBe(201);
    const rows = await waitFor(
      async () => {
        const all = await control.database.db.select().from(notificationRelay);
        return all.length > 0 && all.every((r) => r.lastError?.startsWith('UNAVAILABLE') === true)
          ? all
          : undefined;
      },
      { what: 'relay attempts recorded as failed' },
    );
    expect(rows.every((r) => r.relayedAt === null && r.failedAt === null)).toBe(true);
    const list = await control.call(host, 'GET', `/api/meetings/${created.body.id}/invitations`);
    expect(list.body[0].sent_at).toBeNull();
  });
});
