// Failed queries in the logs: the serialized error keeps what an operator needs (SQLSTATE, table,
// constraint) and none of the values the query carried (issue 11, finding 3).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@origo/kit/db';
import { createLogger } from '../../src/index.js';
import { captureLogs } from '../../src/testing/index.js';
import { backends, type Backend } from './backends.js';
import { notes } from './fixtures/schema.js';
import { alice, noteId } from './helpers.js';
import type { Schema } from './notes-repository.js';

afterAll(async () => {
  for (const backend of backends) await backend.cleanup();
});

const SECRET = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0c2FsdA$aGFzaGhhc2hoYXNo';

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('the query was expected to fail');
}

describe.each(backends)('error logging on $name', (backend: Backend) => {
  let handle: DatabaseHandle<Schema>;

  beforeAll(async () => {
    handle = await backend.open('errlog');
  });

  afterAll(async () => {
    await handle?.close();
  });

  const row = (id: string, body: string) => ({
    id: noteId(id),
    body,
    createdBy: alice.id,
    updatedBy: alice.id,
  });

  it('logs a unique violation with code, table and constraint but without the row', async () => {
    await handle.db.insert(notes).values(row('dup', SECRET));
    const err = await failure(() => handle.db.insert(notes).values(row('dup', SECRET)));
    // The raw error does carry the secret (the parameters of the failed INSERT): the serializer must drop it.
    expect(
      JSON.stringify({ message: (err as Error).message, cause: String((err as Error).cause) }),
    ).toContain(SECRET);
    const capture = captureLogs();
    createLogger({ service: 'test', destination: capture.destination }).error(
      { err },
      'unhandled error in request',
    );
    const text = JSON.stringify(capture.lines());
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('c2VjcmV0c2FsdA');
    expect(text).not.toContain('note_dup');
    const logged = capture.lines()[0]?.['err'] as Record<string, unknown>;
    const cause = logged['cause'] as Record<string, unknown>;
    expect(cause['code']).toBe('23505');
    expect(cause['table']).toBe('notes');
    expect(cause['constraint']).toBe('notes_pkey');
    expect(String(logged['message'])).toContain('insert into');
    expect(String(logged['stack'])).toContain(' at ');
  });

  it('logs a NUL the database refuses without the value around it', async () => {
    const err = await failure(() => handle.db.insert(notes).values(row('nul', `${SECRET}\u0000`)));
    const capture = captureLogs();
    createLogger({ service: 'test', destination: capture.destination }).error({ err }, 'failed');
    const text = JSON.stringify(capture.lines());
    expect(text).not.toContain(SECRET);
    const cause = (capture.lines()[0]?.['err'] as Record<string, unknown>)['cause'] as Record<
      string,
      unknown
    >;
    expect(cause['code']).toMatch(/^[0-9A-Z]{5}$/);
  });

  it('logs an input-syntax error without the quoted input', async () => {
    const value = `not-a-uuid-${SECRET}`;
    const err = await failure(() => handle.db.execute(sql`select ${value}::uuid as id`));
    // PostgreSQL quotes the input in the message itself.
    expect(JSON.stringify({ cause: String((err as Error).cause) })).toContain('not-a-uuid');
    const capture = captureLogs();
    createLogger({ service: 'test', destination: capture.destination }).error({ err }, 'failed');
    const logged = JSON.stringify(capture.lines()[0]?.['err']);
    expect(logged).toContain('22P02');
    expect(logged).toContain('invalid input syntax for type uuid');
    expect(logged).not.toContain('not-a-uuid');
  });
});
