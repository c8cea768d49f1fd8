import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, meetingBody, startHarness, type Harness } from './helpers.js';
import { auditCount, auditRows } from './support.js';
import { controlSchema, type MeetingId } from '../src/index.js';

describe.each(backends)('meetings REST ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `mtg${randomUUID().slice(0, 6)}`);
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.call(h.users.host, 'POST', '/api/meetings', { org_id: h.orgA, ...body }, headers);

  it('creates, reads, updates and cancels a scheduled recurring meeting', async () => {
    const created = await create(
      meetingBody({
        title: 'Planning',
        passcode: 'abc123',
        lobby_enabled: true,
        join_before_host: false,
        participant_cap: 25,
        recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4' },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/meetings/${created.body.id}`);
    expect(created.body).toMatchObject({
      org_id: h.orgA,
      title: 'Planning',
      kind: 'scheduled',
      state: 'scheduled',
      host_id: h.users.host.userId,
      time_zone: 'Europe/Berlin',
      recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4' },
      has_passcode: true,
      lobby_enabled: true,
      join_before_host: false,
      participant_cap: 25,
      locked: false,
      created_by: h.users.host.userId,
      updated_by: h.users.host.userId,
    });
    expect(JSON.stringify(created.body)).not.toContain('abc123');
    const [stored] = await h.database.db.select().from(controlSchema.meetings);
    expect(stored?.passcodeHash).toMatch(/^scrypt\$/);

    const read = await h.call(h.users.member, 'GET', `/api/meetings/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const updated = await h.call(h.users.admin, 'PATCH', `/api/meetings/${created.body.id}`, {
      title: 'Planning v2',
      passcode: null,
      participant_cap: 50,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      title: 'Planning v2',
      has_passcode: false,
      participant_cap: 50,
      updated_by: h.users.admin.userId,
      created_by: h.users.host.userId,
    });
    expect(new Date(updated.body.updated_at).getTime()).toBeGreaterThanOrEqual(
      new Date(created.body.updated_at).getTime(),
    );

    const cancelled = await h.call(h.users.host, 'POST', `/api/meetings/${created.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(cancelled.body.cancelled_at).not.toBeNull();

    const again = await h.call(h.users.host, 'POST', `/api/meetings/${created.body.id}/cancel`);
    expect(again.status).toBe(412);
    expect(again.body.reason).toBe('meeting_cancelled');
    const late = await h.call(h.users.host, 'PATCH', `/api/meetings/${created.body.id}`, {
      title: 'Too late',
    });
    expect(late.status).toBe(412);
    expect(
      (await h.call(h.users.host, 'GET', `/api/meetings/${created.body.id}/occurrences`)).body.items,
    ).toEqual([]);
  });

  it('creates an instant meeting when no start is given, with defaults', async () => {
    const created = await create({ title: 'Quick call' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'instant',
      starts_at: null,
      recurrence: null,
      time_zone: 'UTC',
      duration_minutes: 60,
      participant_cap: 100,
      lobby_enabled: false,
      join_before_host: true,
    });
    const occurrences = await h.call(h.users.host, 'GET', `/api/meetings/${created.body.id}/occurrences`);
    expect(occurrences.body.items).toEqual([]);
    const patch = await h.call(h.users.host, 'PATCH', `/api/meetings/${created.body.id}`, {
      recurrence: { rrule: 'FREQ=DAILY' },
    });
    expect(patch.status).toBe(400);
  });

  it('uses the only organization of the caller when org_id is omitted, and asks for it otherwise', async () => {
    const implied = await h.call(h.users.host, 'POST', '/api/meetings', { title: 'Implied org' });
    expect(implied.status).toBe(201);
    expect(implied.body.org_id).toBe(h.orgA);
    const twoOrgs = { ...h.users.admin, orgs: { [h.orgA]: 'admin' as const, [h.orgB]: 'admin' as const } };
    // Asked which organization, not refused as if the permission were missing; nothing is created.
    const ambiguous = await h.call(twoOrgs, 'POST', '/api/meetings', { title: 'Which org?' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body).toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'org_id', message: 'is required when you belong to several organizations' }],
    });
    const list = await h.call(twoOrgs, 'GET', '/api/meetings');
    expect(list.status).toBe(400);
    expect(list.body.errors).toEqual([
      { field: 'org_id', message: 'is required when you belong to several organizations' },
    ]);
    expect((await h.call(twoOrgs, 'GET', `/api/meetings?org_id=${h.orgB}`)).status).toBe(200);
    const explicit = await h.call(twoOrgs, 'POST', '/api/meetings', { title: 'This org', org_id: h.orgB });
    expect(explicit.status).toBe(201);
    expect(explicit.body.org_id).toBe(h.orgB);
  });

  it('lists with cursor pagination, newest first, without gaps or repeats, scoped to the org', async () => {
    const org = `org_${randomUUID().replaceAll('-', '').slice(0, 22)}`;
    const owner = { ...h.users.host, orgs: { [org]: 'host' as const } };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await h.call(owner, 'POST', '/api/meetings', { title: `M${i}`, org_id: org });
      ids.push(created.body.id as string);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/api/meetings?org_id=${org}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await h.call(owner, 'GET', query);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((m: { id: string }) => m.id));
      cursor = page.body.next_cursor as string | null;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const filtered = await h.call(owner, 'GET', `/api/meetings?org_id=${org}&state=cancelled`);
    expect(filtered.body.items).toEqual([]);
  });

  it('lists the next occurrences in the meeting time zone', async () => {
    const created = await create({
      title: 'Standup',
      starts_at: '2030-03-25T08:00:00Z',
      time_zone: 'America/New_York',
      duration_minutes: 15,
      recurrence: { rrule: 'FREQ=DAILY;COUNT=5' },
    });
    const response = await h.call(
      h.users.member,
      'GET',
      `/api/meetings/${created.body.id}/occurrences?count=3&after=2030-03-26T00:00:00Z`,
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      time_zone: 'America/New_York',
      items: [
        { starts_at: '2030-03-26T08:00:00.000Z', ends_at: '2030-03-26T08:15:00.000Z' },
        { starts_at: '2030-03-27T08:00:00.000Z', ends_at: '2030-03-27T08:15:00.000Z' },
        { starts_at: '2030-03-28T08:00:00.000Z', ends_at: '2030-03-28T08:15:00.000Z' },
      ],
    });
  });

  describe('bad input gets 400 problem+json naming the field and changes nothing', () => {
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['unknown field', { title: 'x', colour: 'red' }, ''],
      ['missing title', { starts_at: '2030-01-01T10:00:00Z' }, 'title'],
      ['empty title', { title: '   ' }, 'title'],
      [
        'unknown time zone',
        { title: 'x', starts_at: '2030-01-01T10:00:00Z', time_zone: 'Mars/Olympus' },
        'time_zone',
      ],
      ['start without offset', { title: 'x', starts_at: '2030-01-01T10:00:00' }, 'starts_at'],
      [
        'not an RRULE',
        { title: 'x', starts_at: '2030-01-01T10:00:00Z', recurrence: { rrule: 'EVERY=MONDAY' } },
        'recurrence.rrule',
      ],
      [
        'hourly recurrence',
        { title: 'x', starts_at: '2030-01-01T10:00:00Z', recurrence: { rrule: 'FREQ=HOURLY' } },
        'recurrence.rrule',
      ],
      [
        'DTSTART inside the rule',
        {
          title: 'x',
          starts_at: '2030-01-01T10:00:00Z',
          recurrence: { rrule: 'DTSTART:20300101T100000Z\nRRULE:FREQ=DAILY' },
        },
        'recurrence.rrule',
      ],
      ['scheduled without start', { title: 'x', kind: 'scheduled' }, 'starts_at'],
      [
        'instant with recurrence',
        { title: 'x', kind: 'instant', recurrence: { rrule: 'FREQ=DAILY' } },
        'recurrence',
      ],
      ['cap below two', { title: 'x', participant_cap: 1 }, 'participant_cap'],
      ['cap not an integer', { title: 'x', participant_cap: 2.5 }, 'participant_cap'],
      ['short passcode', { title: 'x', passcode: '12' }, 'passcode'],
      ['duration too long', { title: 'x', duration_minutes: 5000 }, 'duration_minutes'],
    ];
    it.each(bad)('%s', async (_name, body, field) => {
      const meetingsBefore = (await h.database.db.select().from(controlSchema.meetings)).length;
      const auditBefore = await auditCount(h);
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.code).toBe('INVALID_ARGUMENT');
      if (field !== '') expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect((await h.database.db.select().from(controlSchema.meetings)).length).toBe(meetingsBefore);
      expect(await auditCount(h)).toBe(auditBefore);
    });

    it.each(['1e309', '99999999999999999999', '-1e309', '5000', '0.5'])(
      'a duration of %s gets one message naming the field and the allowed range',
      async (number) => {
        const response = await fetch(`${h.url}/api/meetings`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await h.token(h.users.host)}`,
            'content-type': 'application/json',
          },
          // Raw text: JSON.stringify cannot write 1e309, and 2^66 must not be rounded on the way.
          body: `{"title":"x","duration_minutes":${number}}`,
        });
        expect(response.status).toBe(400);
        const problem = (await response.json()) as { errors: unknown };
        expect(problem.errors).toEqual([
          { field: 'duration_minutes', message: 'must be a whole number from 1 to 1440' },
        ]);
      },
    );

    it('malformed JSON, bad ids, bad cursors and bad query values', async () => {
      const auditBefore = await auditCount(h);
      const malformed = await fetch(`${h.url}/api/meetings`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await h.token(h.users.host)}`,
          'content-type': 'application/json',
        },
        body: '{"title": ',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toContain('application/problem+json');
      expect((await h.call(h.users.host, 'GET', '/api/meetings/not-an-id')).status).toBe(400);
      expect(
        (await h.call(h.users.host, 'GET', `/api/meetings?org_id=${h.orgA}&cursor=garbage`)).status,
      ).toBe(400);
      expect((await h.call(h.users.host, 'GET', `/api/meetings?org_id=${h.orgA}&limit=1000`)).status).toBe(
        400,
      );
      const created = await create({ title: 'Target' });
      const afterCreate = await auditCount(h);
      const patch = await h.call(h.users.host, 'PATCH', `/api/meetings/${created.body.id}`, {});
      expect(patch.status).toBe(400);
      const patchTz = await h.call(h.users.host, 'PATCH', `/api/meetings/${created.body.id}`, {
        time_zone: 'Nowhere/City',
      });
      expect(patchTz.status).toBe(400);
      expect(await auditCount(h)).toBe(afterCreate);
      expect(afterCreate).toBe(auditBefore + 1);
      expect((await h.call(h.users.host, 'GET', `/api/meetings/mtg_${'x'.repeat(22)}`)).status).toBe(404);
    });

    it('answers DELETE on a meeting with 405, the methods to use and where cancelling lives', async () => {
      const created = await create({ title: 'Not deletable' });
      const id = String(created.body.id);
      const deleted = await h.call(h.users.host, 'DELETE', `/api/meetings/${id}`);
      expect(deleted.status).toBe(405);
      expect(deleted.headers.get('allow')).toBe('GET, HEAD, PATCH');
      expect(deleted.body).toMatchObject({
        status: 405,
        detail:
          `DELETE is not allowed on /api/meetings/${id}; use GET or PATCH. ` +
          'A meeting is cancelled with POST /api/meetings/{id}/cancel.',
      });
      expect((await h.call(h.users.host, 'GET', `/api/meetings/${id}`)).body).toMatchObject({
        state: 'scheduled',
      });
    });
  });

  describe('audit', () => {
    it('writes one row per mutation with actor, before/after and the request id, and no secrets', async () => {
      const created = await create(
        { title: 'Audited', passcode: 'secret42' },
        { 'x-request-id': 'req-create-1' },
      );
      const id = created.body.id as string;
      await h.call(
        h.users.admin,
        'PATCH',
        `/api/meetings/${id}`,
        { title: 'Audited 2' },
        { 'x-request-id': 'req-update-1' },
      );
      await h.call(h.users.host, 'POST', `/api/meetings/${id}/lock`, { locked: true });
      await h.call(h.users.host, 'POST', `/api/meetings/${id}/cancel`);
      const rows = await auditRows(h, id);
      expect(rows.map((r) => [r.action, r.actor])).toEqual([
        ['meeting.create', h.users.host.userId],
        ['meeting.update', h.users.admin.userId],
        ['meeting.lock', h.users.host.userId],
        ['meeting.cancel', h.users.host.userId],
      ]);
      expect(rows[0]?.requestId).toBe('req-create-1');
      expect(rows[1]?.requestId).toBe('req-update-1');
      expect(rows[0]?.before).toBeNull();
      expect((rows[1]?.before as { title: string }).title).toBe('Audited');
      expect((rows[1]?.after as { title: string }).title).toBe('Audited 2');
      expect(rows.every((r) => r.orgId === h.orgA && r.entity === 'meeting')).toBe(true);
      expect(JSON.stringify(rows)).not.toContain('scrypt$');
      expect((rows[0]?.after as { passcodeHash: string }).passcodeHash).toBe('[redacted]');
    });

    it('leaves no audit row when a mutation fails inside its transaction', async () => {
      const created = await create({ title: 'Fails' });
      const id = created.body.id as MeetingId;
      const before = await auditCount(h);
      // A business rule refusing inside the transaction (after the row was locked).
      await h.call(h.users.host, 'POST', `/api/meetings/${id}/cancel`);
      const afterCancel = await auditCount(h);
      expect(afterCancel).toBe(before + 1);
      const refused = await h.call(h.users.host, 'POST', `/api/meetings/${id}/lock`, { locked: true });
      expect(refused.status).toBe(412);
      expect(await auditCount(h)).toBe(afterCancel);
      // A database error in the UPDATE itself (NOT NULL violated): the transaction rolls back whole.
      await expect(
        h.service.store.mutate(id, { id: h.users.host.userId }, 'meeting.update', () => ({
          title: null as unknown as string,
        })),
      ).rejects.toThrow();
      expect(await auditCount(h)).toBe(afterCancel);
      const [row] = await h.database.db
        .select()
        .from(controlSchema.meetings)
        .where((await import('drizzle-orm')).eq(controlSchema.meetings.id, id));
      expect(row?.title).toBe('Fails');
    });

    it('GET /api/audit pages through the org log newest first and filters by entity', async () => {
      const created = await create({ title: 'Log me' });
      await h.call(h.users.host, 'PATCH', `/api/meetings/${created.body.id}`, { title: 'Logged' });
      const filtered = await h.call(
        h.users.admin,
        'GET',
        `/api/audit?org_id=${h.orgA}&entity_id=${created.body.id}`,
      );
      expect(filtered.status).toBe(200);
      expect(filtered.body.items.map((e: { action: string }) => e.action)).toEqual([
        'meeting.update',
        'meeting.create',
      ]);
      const page1 = await h.call(h.users.admin, 'GET', `/api/audit?org_id=${h.orgA}&limit=2`);
      expect(page1.body.items).toHaveLength(2);
      expect(page1.body.next_cursor).not.toBeNull();
      const page2 = await h.call(
        h.users.admin,
        'GET',
        `/api/audit?org_id=${h.orgA}&limit=2&cursor=${page1.body.next_cursor}`,
      );
      expect(page2.body.items[0].id).toBeLessThan(page1.body.items[1].id);
      // Another org's admin sees none of it, not even with the id.
      expect(
        (await h.call(h.users.outsider, 'GET', `/api/audit?org_id=${h.orgA}&entity_id=${created.body.id}`))
          .status,
      ).toBe(403);
      const own = await h.call(
        h.users.outsider,
        'GET',
        `/api/audit?org_id=${h.orgB}&entity_id=${created.body.id}`,
      );
      expect(own.body.items).toEqual([]);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the stored response for the same key and body, and creates once', async () => {
      const key = randomUUID();
      const body = { title: 'Once', starts_at: '2030-05-01T09:00:00Z' };
      const first = await create(body, { 'idempotency-key': key });
      const auditAfterFirst = await auditCount(h);
      // Same body with keys in another order is the same request.
      const second = await h.call(
        h.users.host,
        'POST',
        '/api/meetings',
        { starts_at: '2030-05-01T09:00:00Z', org_id: h.orgA, title: 'Once' },
        { 'idempotency-key': key },
      );
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotency-replayed')).toBe('true');
      expect(await auditCount(h)).toBe(auditAfterFirst);
      const listed = await h.database.db.select().from(controlSchema.meetings);
      expect(listed.filter((m) => m.title === 'Once')).toHaveLength(1);
    });

    it('refuses the same key with a different body (422) and changes nothing', async () => {
      const key = randomUUID();
      await create({ title: 'First body' }, { 'idempotency-key': key });
      const before = await auditCount(h);
      const reused = await create({ title: 'Second body' }, { 'idempotency-key': key });
      expect(reused.status).toBe(422);
      expect(reused.headers.get('content-type')).toContain('application/problem+json');
      expect(reused.body.reason).toBe('idempotency_key_reused');
      expect(await auditCount(h)).toBe(before);
    });

    it('scopes keys per caller; a key names one request, so reuse on another operation is refused', async () => {
      const key = randomUUID();
      const byHost = await create({ title: 'Scoped' }, { 'idempotency-key': key });
      const byAdmin = await h.call(
        h.users.admin,
        'POST',
        '/api/meetings',
        { org_id: h.orgA, title: 'Scoped' },
        { 'idempotency-key': key },
      );
      expect(byAdmin.status).toBe(201);
      expect(byAdmin.body.id).not.toBe(byHost.body.id);
      const crossOperation = await h.call(
        h.users.host,
        'POST',
        `/api/meetings/${byHost.body.id}/invitations`,
        { emails: ['a@example.com'] },
        { 'idempotency-key': key },
      );
      expect(crossOperation.status).toBe(422);
      const inviteKey = randomUUID();
      const invite = await h.call(
        h.users.host,
        'POST',
        `/api/meetings/${byHost.body.id}/invitations`,
        { emails: ['a@example.com'] },
        { 'idempotency-key': inviteKey },
      );
      expect(invite.status).toBe(201);
      const inviteAgain = await h.call(
        h.users.host,
        'POST',
        `/api/meetings/${byHost.body.id}/invitations`,
        { emails: ['a@example.com'] },
        { 'idempotency-key': inviteKey },
      );
      expect(inviteAgain.body).toEqual(invite.body);
      const invitations = await h.call(h.users.host, 'GET', `/api/meetings/${byHost.body.id}/invitations`);
      expect(invitations.body).toHaveLength(1);
    });

    it('creates once under concurrent retries with the same key', async () => {
      const key = randomUUID();
      const results = await Promise.all(
        [1, 2, 3].map(() => create({ title: 'Concurrent' }, { 'idempotency-key': key })),
      );
      const ok = results.filter((r) => r.status === 201);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      for (const r of results) expect([201, 409]).toContain(r.status);
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
      const rows = await h.database.db.select().from(controlSchema.meetings);
      expect(rows.filter((m) => m.title === 'Concurrent')).toHaveLength(1);
    });

    it('does not store failed requests, and rejects a malformed key', async () => {
      const key = randomUUID();
      const failed = await create({ title: '' }, { 'idempotency-key': key });
      expect(failed.status).toBe(400);
      const retried = await create({ title: 'Fixed' }, { 'idempotency-key': key });
      expect(retried.status).toBe(201);
      const malformed = await create({ title: 'x' }, { 'idempotency-key': 'k'.repeat(300) });
      expect(malformed.status).toBe(400);
    });
  });

  describe('OpenAPI', () => {
    it('serves a valid OpenAPI 3.1 document with every route, its permission and its schemas', async () => {
      const response = await h.call(null, 'GET', '/api/docs/openapi.json');
      expect(response.status).toBe(200);
      const doc = response.body;
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info.title).toBeTypeOf('string');
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked ad hoc
      const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
        ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })),
      );
      const routes = h.service.http.app.printRoutes({ commonPrefix: false });
      const expected = [
        'post /api/meetings',
        'get /api/meetings',
        'get /api/meetings/{id}',
        'patch /api/meetings/{id}',
        'post /api/meetings/{id}/cancel',
        'get /api/meetings/{id}/occurrences',
        'post /api/meetings/{id}/invitations',
        'get /api/meetings/{id}/invitations',
        'delete /api/meetings/{id}/invitations/{invitation_id}',
        'post /api/meetings/{id}/invite-links',
        'get /api/meetings/{id}/invite-links',
        'delete /api/meetings/{id}/invite-links/{link_id}',
        'post /api/meetings/{id}/preview',
        'post /api/meetings/{id}/join',
        'get /api/meetings/{id}/lobby/{ticket}',
        'post /api/meetings/{id}/lobby/wait',
        'get /api/meetings/{id}/lobby',
        'get /api/meetings/{id}/lobby-watch',
        'post /api/meetings/{id}/lobby/{entry_id}/admit',
        'post /api/meetings/{id}/lobby/{entry_id}/deny',
        'post /api/meetings/{id}/participants/{identity}/allow',
        'post /api/meetings/{id}/participants/{identity}/mute',
        'post /api/meetings/{id}/participants/{identity}/remove',
        'get /api/meetings/{id}/removals',
        'post /api/meetings/{id}/lock',
        'post /api/meetings/{id}/end',
        'get /api/audit',
        'get /api/live-rooms',
        'get /api/presence',
        'post /api/presence/heartbeat',
      ];
      expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(expected.sort());
      expect(routes).toContain('/api/meetings');
      const ids = new Set<string>();
      for (const { path, method, op } of operations) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-zA-Z]+$/);
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        expect(op['x-permission'], `${method} ${path}`).toBeTypeOf('string');
        expect(Object.keys(op.responses).length).toBeGreaterThan(1);
        expect(op.responses.default.content['application/problem+json'].schema.$ref).toBe(
          '#/components/schemas/Problem',
        );
        // Every {param} in the path is declared as a required path parameter.
        for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
          const param = (op.parameters ?? []).find(
            (p: { name: string; in: string }) => p.name === name && p.in === 'path',
          );
          expect(param?.required, `${method} ${path} ${name}`).toBe(true);
        }
      }
      const create = doc.paths['/api/meetings'].post;
      expect(create.requestBody.content['application/json'].schema.properties.title.type).toBe('string');
      expect(create.parameters.some((p: { name: string }) => p.name === 'Idempotency-Key')).toBe(true);
      expect(create.responses['201'].content['application/json'].schema.properties.id.type).toBe('string');
      expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
      // Every $ref resolves.
      for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
        expect(doc.components.schemas[ref[1]!]).toBeDefined();
      }
    });

    it('serves the docs page at /api/docs', async () => {
      const response = await fetch(`${h.url}/api/docs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const html = await response.text();
      expect(html).toContain('/api/docs/openapi.json');
      expect(html).toContain('/api/meetings/{id}/join');
    });
  });
});
