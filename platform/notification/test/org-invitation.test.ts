// An admin invites an address without an account: auth writes the invitation mail into its relay in
// the invitation's transaction, the relay hands it to this service by gRPC, and the outbox delivers it
// to a real SMTP peer, with the organization's and the inviter's names escaped in the HTML part.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, openAuthDatabase, type AuthDatabase, type AuthService } from '@origo/auth';
import { waitFor } from '@origo/kit/testing';
import { AppError } from '@origo/kit';
import { enqueueInput } from '../src/validation.js';
import { backends, recipient, startHarness, testUser, type Harness } from './helpers.js';
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.js';

const ORG_NAME = '<script>alert(1)</script> & "Labs"';
const ADMIN_NAME = 'Ada <b>Admin</b> & Co';

describe('organization invitation mail from auth through the outbox', () => {
  const backend = backends[0]!;
  let smtp: SmtpPeer;
  let h: Harness;
  let authDb: AuthDatabase;
  let auth: AuthService;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    h = await startHarness(backend, {
      settings: { smtpUrl: smtp.url },
      deps: { smtpTransport: { ignoreTLS: true } },
    });
    authDb = await openAuthDatabase({ dataDir: 'memory://' });
    auth = await createAuthService({
      database: authDb,
      keyEncryptionKey: 'test-key-encryption-key-0123456789abcdef',
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      settings: { publicUrl: 'https://origo.test', cookieSecure: true },
      notificationTarget: async () => h.grpc.replace(/^[a-z]+:\/\//, ''),
      notificationRelay: { retryBaseMs: 50, retryMaxMs: 200, intervalMs: 100 },
    });
  });
  afterAll(async () => {
    await auth.close();
    await authDb.close();
    await h.close();
    await smtp.close();
    await backend.cleanup();
  });

  /** A request to auth; `cookie` is a `name=value` pair as a browser sends it back. */
  async function inject(method: 'GET' | 'POST' | 'PATCH', url: string, payload: object, cookie?: string) {
    const response = await auth.app.inject({
      method,
      url,
      payload,
      headers: cookie === undefined ? {} : { cookie },
    });
    return {
      status: response.statusCode,
      body: response.json<Record<string, unknown>>(),
      session: String(response.headers['set-cookie'] ?? '').split(';')[0],
    };
  }

  it('delivers the invitation with a working sign-up link, in plain text and escaped HTML', async () => {
    const signUp = await inject('POST', '/api/auth/sign-up', {
      email: 'ada@example.com',
      password: 'correct horse battery staple',
      displayName: ADMIN_NAME,
    });
    expect(signUp.status).toBe(201);
    const cookie = signUp.session;
    const orgId = String(signUp.body['organizationId']);
    expect((await inject('PATCH', `/api/orgs/${orgId}`, { name: ORG_NAME }, cookie)).status).toBe(200);

    const invited = await inject(
      'POST',
      `/api/orgs/${orgId}/invitations`,
      { email: 'nia@example.com', role: 'host' },
      cookie,
    );
    expect(invited.status).toBe(201);

    const mail = await waitFor(
      () =>
        smtp.received.find((m) => (m.to && 'text' in m.to ? m.to.text : '') === 'nia@example.com') ??
        undefined,
      { what: 'the invitation mail at the SMTP peer', timeoutMs: 30_000 },
    );
    expect(mail.subject).toBe(`${ADMIN_NAME} invited you to join ${ORG_NAME} on Origo`);
    expect(mail.text).toContain('Hello,');
    expect(mail.text).toContain(`${ADMIN_NAME} invited you to join "${ORG_NAME}" on Origo as a host.`);
    expect(mail.text).toContain('within 7 days');
    // The address may have no account: the footer says how it came to get the mail.
    expect(mail.text).toContain(
      'You receive this message because someone invited this address through Origo.',
    );
    const link = /Create your account: (https:\/\/origo\.test\/sign-up#invitation=[a-z2-7]{32})\n/.exec(
      mail.text ?? '',
    )?.[1];
    expect(link).toBeDefined();

    const html = String(mail.html);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>Admin</b>');
    expect(html).toContain('Ada &lt;b&gt;Admin&lt;/b&gt; &amp; Co invited you to join');
    expect(html).toContain('&quot;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Labs&quot;&quot;');
    expect(html).toContain(`href="${link}"`);
    // Like meeting invitations to guests: the address can stop further invitation mails.
    const unsubscribe = mail.headerLines.find((l) => l.key === 'list-unsubscribe')?.line ?? '';
    expect(unsubscribe.replace(/\r\n[ \t]+/g, ' ')).toContain('/api/notifications/unsubscribe?token=');

    // The link from the mail signs the invitee up into the organization.
    const token = link!.slice(link!.indexOf('#invitation=') + '#invitation='.length);
    const joined = await inject('POST', '/api/auth/invitations/accept', {
      token,
      email: 'nia@example.com',
      password: 'correct horse battery staple',
      displayName: 'Nia',
    });
    expect(joined.status).toBe(201);
    expect(joined.body['organization']).toEqual({ id: orgId, name: ORG_NAME });
    await waitFor(async () => (await auth.relay.pendingCount()) === 0, { what: 'the relay drained' });
  });

  it('refuses an organization invitation with a bad role, link or organization, storing nothing', async () => {
    const admin = testUser('Root', true);
    const count = async () =>
      ((await h.call(admin, 'GET', '/api/admin/outbox?limit=100')).body.items as unknown[]).length;
    const before = await count();
    const request = {
      idempotencyKey: 'test:bad-org-invitation',
      orgId: '',
      recipient: recipient({ email: 'x@example.com' }),
      params: {
        $case: 'orgInvitation' as const,
        value: {
          orgId: 'org with spaces',
          orgName: '',
          inviterName: 'Ada',
          role: 'owner',
          actionUrl: 'javascript:alert(1)',
          expiresInHours: 0,
        },
      },
    };
    await expect(h.enqueue(request)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    let refused: unknown;
    try {
      enqueueInput(request);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).violations.map((v) => v.field).sort()).toEqual(
      ['action_url', 'expires_in_hours', 'org_id', 'org_name', 'role'].map((f) => `org_invitation.${f}`),
    );
    expect(await count()).toBe(before);
  });
});
