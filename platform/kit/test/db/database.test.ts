import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidStateError, MIGRATIONS_TABLE, type DatabaseHandle } from '@origo/kit/db';
import { backends, type Backend } from './backends.js';
import { auditEvents, notes } from './fixtures/schema.js';
import { alice, bob, migrationCount, noteId, tablesIn } from './helpers.js';
import { NotesRepository, type Schema } from './notes-repository.js';

afterAll(async () => {
  for (const backend of backends) await backend.cleanup();
});

describe.each(backends)('database on $name', (backend: Backend) => {
  let handle: DatabaseHandle<Schema>;
  let repo: NotesRepository;

  beforeAll(async () => {
    handle = await backend.open('main');
    repo = new NotesRepository(handle.db);
  });

  afterAll(async () => {
    await handle?.close();
  });

  beforeEach(async () => {
    await handle.db.delete(notes);
    await handle.db.delete(auditEvents);
  });

  it('applies the committed migrations into a schema named after the service', async () => {
    expect(handle.kind).toBe(backend.name === 'postgres' ? 'postgres' : 'pglite');
    expect(handle.schemaName).toBe(handle.service);
    expect(handle.migrationsApplied).toBe(1);
    expect(await tablesIn(handle)).toEqual([MIGRATIONS_TABLE, 'audit_events', 'notes'].sort());
    expect(await migrationCount(handle)).toBe(1);
    await expect(handle.ping()).resolves.toBeUndefined();
  });

  it('creates, reads, updates and deletes a note, auditing each mutation', async () => {
    const created = await repo.create({ id: noteId(1), body: 'first' }, alice);
    expect(created).toMatchObject({ id: noteId(1), body: 'first', createdBy: alice.id, updatedBy: alice.id });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await repo.get(noteId(1))).toEqual(created);

    const updated = await repo.update(noteId(1), 'edited', bob);
    expect(updated).toMatchObject({ body: 'edited', createdBy: alice.id, updatedBy: bob.id });
    expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    expect(await repo.update(noteId(99), 'nobody', bob)).toBeNull();

    expect(await repo.delete(noteId(1), bob)).toBe(true);
    expect(await repo.delete(noteId(1), bob)).toBe(false);
    expect(await repo.get(noteId(1))).toBeNull();

    const trail = await repo.auditTrail(noteId(1));
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['create', alice.id],
      ['update', bob.id],
      ['delete', bob.id],
    ]);
    expect(trail[0]).toMatchObject({ requestId: 'req_1', before: null, after: { body: 'first' } });
    expect(trail[1]).toMatchObject({ before: { body: 'first' }, after: { body: 'edited' } });
    expect(trail[2]).toMatchObject({ before: { body: 'edited' }, after: null });
  });

  it('pages through notes with a cursor, without gaps or repeats', async () => {
    // Same-millisecond timestamps are likely here, which the (created_at, id) keyset must handle.
    for (let i = 1; i <= 7; i++) await repo.create({ id: noteId(i), body: `n${i}` }, alice);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await repo.list({ limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((n) => n.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7].map(noteId));
    await expect(repo.list({ limit: 3, cursor: 'not-a-cursor' })).rejects.toThrow(TypeError);
    await expect(repo.list({ limit: 0 })).rejects.toThrow(TypeError);
  });

  it('leaves nothing behind when a transaction throws', async () => {
    await repo.create({ id: noteId('kept'), body: 'kept' }, alice);
    const failure = new Error('abort the request');
    await expect(
      handle.transaction(async (tx) => {
        const txRepo = new NotesRepository(tx);
        await txRepo.create({ id: noteId('a'), body: 'a' }, alice);
        await txRepo.update(noteId('kept'), 'changed', bob);
        expect(await txRepo.get(noteId('a'))).not.toBeNull();
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await repo.get(noteId('a'))).toBeNull();
    expect((await repo.get(noteId('kept')))?.body).toBe('kept');
    expect(await repo.auditTrail(noteId('a'))).toEqual([]);
    expect((await repo.auditTrail(noteId('kept'))).map((e) => e.action)).toEqual(['create']);
  });

  it('rolls back a failed mutation together with its audit row', async () => {
    await repo.create({ id: noteId(1), body: 'one' }, alice);
    await expect(repo.create({ id: noteId(1), body: 'duplicate' }, bob)).rejects.toThrow();
    expect((await repo.get(noteId(1)))?.body).toBe('one');
    expect((await repo.auditTrail(noteId(1))).map((e) => e.actor)).toEqual([alice.id]);
  });

  it('is closed idempotently, after which calls fail clearly', async () => {
    const other = await backend.open('closing');
    await other.ping();
    await other.close();
    await other.close();
    await expect(other.ping()).rejects.toThrow(InvalidStateError);
    await expect(other.transaction(async () => 1)).rejects.toThrow(InvalidStateError);
  });
});
