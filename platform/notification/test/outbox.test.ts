import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrincipalResolver } from '@origo/control/access';
import { createAccessTokenVerifier } from '@origo/auth';
import { waitFor } from '@origo/kit/testing';
import {
  createNotificationService,
  generateVapidKeys,
  openNotificationDatabase,
  type NotificationDatabase,
  type NotificationService,
} from '../src/index.js';
import { DATABASE_URL, recipient, UNSUBSCRIBE_SECRET } from './helpers.js';
import { startSmtpPeer } from './smtp-peer.js';

/**
 * Two service instances (replicas) on one database race for the same outbox: FOR UPDATE SKIP LOCKED
 * must hand every delivery to exactly one of them. With PostgreSQL the replicas have their own
 * connection pools; with PGlite they share the one embedded connection.
 */
describe('the outbox shared by two replicas', () => {
  const handles: NotificationDatabase[] = [];
  const services: NotificationService[] = [];
  const schema = `notification_race_${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    for (const s of services) await s.close();
    for (const d of handles) await d.close();
    if (DATABASE_URL !== undefined) {
      const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
      await admin`drop schema if exists ${admin(schema)} cascade`;
      await admin.end({ timeout: 5 });
    }
  });

  it('delivers each of 40 mails exactly once', async () => {
    const smtp = await startSmtpPeer();
    try {
      const open = () =>
        DATABASE_URL !== undefined
          ? openNotificationDatabase({ databaseUrl: DATABASE_URL, service: schema })
          : openNotificationDatabase({ dataDir: 'memory://' });
      handles.push(await open());
      handles.push(DATABASE_URL !== undefined ? await open() : (handles[0] as NotificationDatabase));
      const verifier = createAccessTokenVerifier({
        keySource: async () => ({ keys: [] }),
        issuer: 'o',
        audience: 'o',
      });
      for (const database of handles) {
        services.push(
          await createNotificationService({
            database,
            resolvePrincipal: createPrincipalResolver({ verifier }),
            unsubscribeSecret: UNSUBSCRIBE_SECRET,
            vapid: generateVapidKeys(),
            settings: {
              smtpUrl: smtp.url,
              pollIntervalMs: 0,
              schedulerIntervalMs: 0,
              retryBaseMs: 20,
              retryMaxMs: 100,
            },
            smtpTransport: { ignoreTLS: true },
          }),
        );
      }
      const [a, b] = services as [NotificationService, NotificationService];
      await (handles[0] as NotificationDatabase).transaction(async (tx) => {
        for (let i = 0; i < 40; i++) {
          await a.outbox.enqueue(
            tx,
            {
              idempotencyKey: `race:${i}`,
              orgId: '',
              recipient: recipient({ email: `r${i}@example.com` }),
              content: {
                kind: 'recording_ready',
                params: {
                  meetingId: 'm',
                  meetingTitle: `Rec ${i}`,
                  recordingUrl: 'https://origo.test/r',
                  durationSeconds: 60,
                },
              },
            },
            { id: 'service:test' },
          );
        }
      });
      const passes = async (s: NotificationService) => {
        while ((await s.worker.runOnce()) > 0) {
          // Keep claiming until this replica finds nothing due.
        }
      };
      await Promise.all([passes(a), passes(b), passes(a), passes(b)]);
      await waitFor(() => smtp.received.length >= 40, { what: '40 mails' });
      const ids = smtp.received.map((m) => m.messageId);
      expect(new Set(ids).size).toBe(40);
      expect(smtp.received).toHaveLength(40);
      expect(smtp.attempts).toBe(40);
    } finally {
      await smtp.close();
    }
  });
});
