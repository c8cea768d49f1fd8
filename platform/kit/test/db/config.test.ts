import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseConnectionError, openDatabase } from '@origo/kit/db';
import { MIGRATIONS } from './backends.js';
import * as schema from './fixtures/schema.js';

describe('opening with bad configuration', () => {
  const base = { service: 'notes', schema, migrationsFolder: MIGRATIONS };
  let silent: Server | undefined;

  afterAll(async () => {
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  });

  it('names DATABASE_URL, without the password, when PostgreSQL refuses the connection', async () => {
    const error: unknown = await openDatabase({
      ...base,
      databaseUrl: 'postgres://origo:hunter2-secret@127.0.0.1:1/test',
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^DATABASE_URL: cannot connect to postgres:\/\/origo:\*\*\*@127\.0\.0\.1:1\/test/,
    );
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toContain('hunter2-secret');
  });

  it('gives up within the connect timeout when the server never answers', async () => {
    const sockets = new Set<Socket>();
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new TypeError('no TCP address');
    const error: unknown = await openDatabase({
      ...base,
      databaseUrl: `postgres://origo:pw@127.0.0.1:${address.port}/test`,
      connectTimeoutMs: 300,
    }).catch((err: unknown) => err);
    for (const socket of sockets) socket.destroy();
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect((error as Error).message).toMatch(/^DATABASE_URL: .*CONNECT_TIMEOUT/);
  });

  it('rejects a DATABASE_URL that is not a PostgreSQL URL', async () => {
    await expect(openDatabase({ ...base, databaseUrl: 'not a url' })).rejects.toThrow(
      /^DATABASE_URL is not a valid URL/,
    );
    await expect(openDatabase({ ...base, databaseUrl: 'mysql://u:pw@host/db' })).rejects.toThrow(
      'DATABASE_URL must start with postgres:// or postgresql://, got mysql://u:***@host/db',
    );
  });

  it('names the data directory when the embedded database cannot be created there', async () => {
    // A path below a regular file can never be a directory.
    const error: unknown = await openDatabase({
      ...base,
      dataDir: join(MIGRATIONS, 'meta', '_journal.json', 'db'),
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect((error as Error).message).toMatch(
      /^cannot open the embedded database in .*_journal\.json.*ORIGO_DATA/,
    );
  });

  it('rejects missing or invalid arguments with a TypeError', async () => {
    await expect(openDatabase({ ...base })).rejects.toThrow(/set databaseUrl \(DATABASE_URL\) or dataDir/);
    await expect(openDatabase({ ...base, service: 'Bad-Name', dataDir: 'memory://' })).rejects.toThrow(
      TypeError,
    );
    await expect(
      openDatabase({ ...base, dataDir: 'memory://', migrationsFolder: join(tmpdir(), 'origo-no-such-dir') }),
    ).rejects.toThrow(/cannot read migrations/);
  });
});
